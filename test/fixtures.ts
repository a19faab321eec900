/**
 * The PII of the contract's example customer (spec section 2): every field archiving erases,
 * with the example's values. Tests build profiles from it and look for its values afterwards.
 */
export const EXAMPLE_PII = {
  alternative_id: "user_2abc",
  email: "jenny.doe@example.com",
  name: "Jenny Doe",
  first_name: "Jenny",
  last_name: "Doe",
  display_name: "jenny",
  username: "jenny_doe",
  phone: "+1 111-867-5309",
  company: "Acme Inc.",
};

export const PII_FIELDS = Object.keys(EXAMPLE_PII) as (keyof typeof EXAMPLE_PII)[];

/** Strings that must not survive an archive anywhere (D1 rows, KV values, kept responses). */
export const PII_VALUES = Object.values(EXAMPLE_PII);

/** Every profile field set: the PII above plus the non-personal fields. */
export const FULL_PROFILE = {
  ...EXAMPLE_PII,
  language: "en",
  timezone: "America/New_York",
  mail_marketing: true,
  tele_marketing: false,
  coupon_id: "WELCOME10",
  metadata: { plan_source: "signup", seats: 3, beta: true },
};
