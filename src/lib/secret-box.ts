import { sha256Hex } from "./crypto";

/**
 * Secrets at rest (payment gateway keys): AES-256-GCM with a deployment key of 32 random bytes
 * (base64, as `openssl rand -base64 32` prints it). Each encryption draws a fresh 96-bit IV;
 * `context` (e.g. the organization's id) is bound as additional data, so a ciphertext moved to
 * another row does not decrypt there. `keyId` (16 hex characters of SHA-256 of the key) is
 * stored beside the ciphertext: during a rotation the ring holds the current and the previous
 * key, and a row is decrypted with the one it names.
 */

export type SealedSecret = { ciphertext: string; iv: string; keyId: string };

type RingKey = { id: string; key: CryptoKey };

export type KeyRing = { current: RingKey; previous: RingKey | null };

/** Why a configured key cannot serve; the message names the setting, never its value. */
export class InvalidEncryptionKey extends Error {
  override name = "InvalidEncryptionKey";
}

const KEY_BYTES = 32;
const IV_BYTES = 12;

const encoder = new TextEncoder();

const toBase64 = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes));

function fromBase64(value: string): Uint8Array | null {
  try {
    return Uint8Array.from(atob(value.trim()), (char) => char.charCodeAt(0));
  } catch {
    return null;
  }
}

async function ringKey(setting: string, value: string): Promise<RingKey> {
  const raw = fromBase64(value);
  if (!raw || raw.length !== KEY_BYTES) {
    throw new InvalidEncryptionKey(`${setting} must be ${KEY_BYTES} random bytes in base64 (openssl rand -base64 32)`);
  }
  const key = await crypto.subtle.importKey("raw", raw, "AES-GCM", false, ["encrypt", "decrypt"]);
  return { id: (await sha256Hex(raw)).slice(0, 16), key };
}

/** The ring of `current` (required) and `previous` (only during a rotation). */
export async function keyRing(
  current: { setting: string; value: string },
  previous: { setting: string; value: string | undefined },
): Promise<KeyRing> {
  return {
    current: await ringKey(current.setting, current.value),
    previous: previous.value ? await ringKey(previous.setting, previous.value) : null,
  };
}

export async function seal(ring: KeyRing, plaintext: string, context: string): Promise<SealedSecret> {
  const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
  const sealed = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv, additionalData: encoder.encode(context) },
    ring.current.key,
    encoder.encode(plaintext),
  );
  return { ciphertext: toBase64(new Uint8Array(sealed)), iv: toBase64(iv), keyId: ring.current.id };
}

/**
 * The plaintext, or null when the ring holds no key with this `keyId` (rotated away) or the
 * ciphertext, IV or context do not match (tampered, or another row's).
 */
export async function open(ring: KeyRing, sealed: SealedSecret, context: string): Promise<string | null> {
  const key = [ring.current, ring.previous].find((candidate) => candidate?.id === sealed.keyId);
  const ciphertext = fromBase64(sealed.ciphertext);
  const iv = fromBase64(sealed.iv);
  if (!key || !ciphertext || !iv) return null;
  try {
    const plain = await crypto.subtle.decrypt(
      { name: "AES-GCM", iv, additionalData: encoder.encode(context) },
      key.key,
      ciphertext,
    );
    return new TextDecoder().decode(plain);
  } catch {
    return null;
  }
}
