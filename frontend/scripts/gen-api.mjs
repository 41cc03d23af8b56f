// Regenerate src/api/schema.d.ts from the backend's OpenAPI schema (a second argument writes it
// elsewhere: tests/test_openapi_committed.py compares a fresh one with the committed file).
// Source, first that applies: the first argument, $OPENAPI_SOURCE, ./openapi.json (frontend/) or
// ../openapi.json when one exists, else the running server at http://127.0.0.1:8000/openapi.json (`marketing-agent run`).
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const localSchema = [join(root, "openapi.json"), join(root, "..", "openapi.json")].find((p) => existsSync(p));
const source =
  process.argv[2] ??
  process.env.OPENAPI_SOURCE ??
  localSchema ??
  "http://127.0.0.1:8000/openapi.json";
const output = process.argv[3] ?? join(root, "src", "api", "schema.d.ts");
const cli = join(dirname(createRequire(import.meta.url).resolve("openapi-typescript/package.json")), "bin", "cli.js");

console.log(`openapi-typescript: ${source} -> ${output}`);
const run = spawnSync(process.execPath, [cli, source, "--output", output], { stdio: "inherit" });
process.exit(run.status ?? 1);
