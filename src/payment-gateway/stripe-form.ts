/**
 * Stripe's v1 API takes `application/x-www-form-urlencoded` bodies (and query strings) with
 * nested keys: `metadata[key]=v`, `address[line1]=…`, arrays indexed as `expand[0]=…`, the way
 * Stripe's own libraries encode them. Brackets stay literal (Stripe reads both forms) so a
 * request is readable in a log of Stripe's dashboard and in a test's expectation.
 */

/** A value Stripe's form encoding can carry. */
export type FormValue = string | number | boolean | null | undefined | FormValue[] | { [key: string]: FormValue };

/**
 * Encodes `params` in order. `undefined` leaves a key out; `null` sends it empty, which is
 * how Stripe's API unsets a field (`phone=`, `address=`).
 */
export function encodeForm(params: { [key: string]: FormValue }): string {
  const pairs: string[] = [];
  const add = (key: string, value: FormValue): void => {
    if (value === undefined) return;
    if (value === null) {
      pairs.push(`${encodeKey(key)}=`);
    } else if (Array.isArray(value)) {
      value.forEach((item, index) => {
        add(`${key}[${index}]`, item);
      });
    } else if (typeof value === "object") {
      for (const [name, item] of Object.entries(value)) add(`${key}[${name}]`, item);
    } else {
      pairs.push(`${encodeKey(key)}=${encodeURIComponent(String(value))}`);
    }
  };
  for (const [key, value] of Object.entries(params)) add(key, value);
  return pairs.join("&");
}

function encodeKey(key: string): string {
  return encodeURIComponent(key).replaceAll("%5B", "[").replaceAll("%5D", "]");
}
