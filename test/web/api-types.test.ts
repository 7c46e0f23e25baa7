import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { API_TYPES_FILE, apiTypes } from "../../web/gen-api-types.ts";

describe("the console's API types", () => {
  it("are generated from the OpenAPI document the server publishes now (npm run gen:api)", async () => {
    // A route changed without regenerating would let the console compile against answers that no longer exist.
    expect(readFileSync(API_TYPES_FILE, "utf8") === (await apiTypes()), "run `npm run gen:api`").toBe(true);
  });
});
