// Bundled in place of zod's locale index (wrangler.toml [alias]): Roster's messages are
// English, and zod's 40-odd other locales were most of the Worker's bundle.
export { default as en } from "zod/v4/locales/en.js";
