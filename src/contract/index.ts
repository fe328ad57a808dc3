export * from "./codes.ts";
export * from "./metric.ts";
export * from "./json-schema.ts";
export * from "./connect-schema.ts";
