import { secureHeaders } from "hono/secure-headers";

/**
 * HTML pages (/docs, /docs/problems): only this host's scripts, styles, fonts and API, no
 * framing (clickjacking), no MIME sniffing, no referrer. Scalar's reference is one script
 * from this host's static assets (/docs/assets/), reads /v1/openapi.json and sends "try it"
 * requests to this host, so 'self' suffices for script, connect and font sources; no
 * 'unsafe-eval' and no inline script anywhere.
 */
export const htmlPageHeaders = secureHeaders({
  contentSecurityPolicy: {
    defaultSrc: ["'none'"],
    scriptSrc: ["'self'"],
    // 'unsafe-inline' for styles only: Scalar's script inserts its stylesheets as <style>
    // elements at run time (its own, its theme's, its toast library's; only the first could
    // take a nonce) and sets style attributes; /docs/problems has one <style> block. Styles
    // cannot run code, and scripts stay 'self' only.
    styleSrc: ["'self'", "'unsafe-inline'"],
    fontSrc: ["'self'"],
    // data: for the pages' favicon, `data:,`: without it browsers ask for /favicon.ico (a 404).
    imgSrc: ["'self'", "data:"],
    connectSrc: ["'self'"],
    baseUri: ["'none'"],
    formAction: ["'self'"],
    frameAncestors: ["'none'"],
  },
  xFrameOptions: "DENY",
  xContentTypeOptions: "nosniff",
});
