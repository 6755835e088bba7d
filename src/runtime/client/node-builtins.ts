// node:http and node:https without an ESM import. Importing either as ESM makes Node build the module's
// ESM facade, which reads every export, and node:http's lazy WebSocket and fetch-related getters then
// load undici: +5.7 MiB of RSS and ~75 ms of CPU at start (measured with --lite-mode), for code the
// runtime never calls. process.getBuiltinModule returns the CommonJS module, getters untouched.
// A unit test (test/unit/runtime/no-undici.test.ts) checks that loading the runtime leaves undici unloaded.
export const http = process.getBuiltinModule('node:http');
export const https = process.getBuiltinModule('node:https');
