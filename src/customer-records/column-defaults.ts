/**
 * A create's values from a record's column table (`ADDRESS_SPEC`, `PAYMENT_METHOD_SPEC`,
 * `SUBSCRIPTION_SPEC`): each column the input leaves out (or sends null) takes the table's
 * default; a column without one keeps what was sent (the schemas require those).
 */
export function withColumnDefaults(
  spec: Record<string, { kind: string; default?: unknown }>,
  input: Record<string, unknown>,
): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const [column, { default: fallback }] of Object.entries(spec)) values[column] = input[column] ?? fallback;
  return values;
}
