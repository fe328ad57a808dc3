import type { Context } from "hono";
import { ApiError, type Env } from "./http-errors.ts";

/** Content-Encodings `POST /v1/metrics` reads. */
export const BODY_ENCODINGS = ["identity", "gzip"] as const;

/**
 * The request body as text, gunzipped when `Content-Encoding: gzip`. The decompressed size is held to the same
 * limit as a plain body (the limit keeps a batch inside one Kafka record batch), and reading stops as soon as it is
 * passed, so a small gzip bomb costs no more than `maxBytes` of memory.
 */
export async function bodyText(c: Context<Env>, maxBytes: number): Promise<string> {
  const encoding = (c.req.header("content-encoding") ?? "identity").trim().toLowerCase();
  if (encoding === "identity" || encoding === "") return c.req.text();
  if (encoding !== "gzip") {
    throw new ApiError("UNSUPPORTED_MEDIA_TYPE", `Content-Encoding "${encoding}" is not supported; send gzip or none`);
  }
  const body = c.req.raw.body;
  if (!body) return "";
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = body.pipeThrough(new DecompressionStream("gzip")).getReader();
  try {
    for (let r = await reader.read(); !r.done; r = await reader.read()) {
      size += r.value.byteLength;
      if (size > maxBytes) {
        await reader.cancel();
        throw new ApiError(
          "PAYLOAD_TOO_LARGE",
          `the body decompresses to more than ${maxBytes} bytes; split the batch`,
        );
      }
      chunks.push(r.value);
    }
  } catch (e) {
    if (e instanceof ApiError) throw e;
    const errors = [{ index: null, field: "(body)", message: `not valid gzip: ${(e as Error).message}` }];
    throw new ApiError("INVALID_BATCH", "the body says Content-Encoding: gzip but is not valid gzip", {
      body: { errors },
    });
  }
  return new TextDecoder().decode(Buffer.concat(chunks));
}
