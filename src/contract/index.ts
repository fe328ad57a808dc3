export * from "./codes.ts";
export * from "./connect-schema.ts";
export * from "./contract.ts";
export * from "./json-schema.ts";
export * from "./metric.ts";
