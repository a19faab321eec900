import type { EndReason } from "../guard";
import { Layout, Notice } from "./layout";

const ENDED: Record<EndReason, string> = {
  expired: "Your session ended: sessions last 12 hours. Sign in again.",
  idle: "Your session ended after an hour without use. Sign in again.",
  revoked: "Your session ended: its API key was revoked.",
  signed_out: "You are signed out.",
};

export const endedMessage = (value: string | undefined) =>
  value !== undefined && Object.hasOwn(ENDED, value) ? ENDED[value as EndReason] : null;

/** The sign-in form: the key goes in a POST body, never a URL, and nothing on the page keeps it. */
export function SignInPage({ ended, error }: { ended?: string | null; error?: string | null }) {
  return (
    <Layout title="Sign in">
      <h1>Sign in</h1>
      {ended && <Notice kind="ok">{ended}</Notice>}
      {error && <Notice kind="error">{error}</Notice>}
      <p>Sign in with an API key of your organization. The console acts with that key's organization.</p>
      <form method="post" action="/console/sign-in" class="stack narrow">
        <label for="api_key">API key</label>
        <input
          id="api_key"
          name="api_key"
          type="password"
          autocomplete="off"
          spellcheck={false}
          required
          placeholder="rk_…"
        />
        <button type="submit">Sign in</button>
      </form>
      <p class="muted">
        The key is checked again on every page: revoking it ends every session signed in with it within a minute.
      </p>
    </Layout>
  );
}
