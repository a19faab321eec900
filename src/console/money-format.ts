/**
 * Amounts as people read them: the API's minor units (cents; whole units for zero-decimal
 * currencies such as jpy) in major units with the currency, `12.50 USD`, `-1,200 JPY`. The
 * number of decimals is ISO 4217's, as the runtime's Intl data gives it (2 where it has none).
 */

const decimalsMemo = new Map<string, number>();

function decimalsOf(currency: string): number {
  const code = currency.toUpperCase();
  let decimals = decimalsMemo.get(code);
  if (decimals === undefined) {
    try {
      decimals = new Intl.NumberFormat("en", { style: "currency", currency: code }).resolvedOptions()
        .maximumFractionDigits;
    } catch {
      decimals = 2;
    }
    decimalsMemo.set(code, decimals ?? 2);
  }
  return decimals ?? 2;
}

/** `1250, "usd"` → `12.50 USD`; integer arithmetic only, so no amount is rounded. */
export function formatMoney(amount: number, currency: string): string {
  const decimals = decimalsOf(currency);
  const digits = Math.abs(amount)
    .toString()
    .padStart(decimals + 1, "0");
  const whole = digits.slice(0, digits.length - decimals).replace(/\B(?=(\d{3})+$)/g, ",");
  const fraction = decimals > 0 ? `.${digits.slice(digits.length - decimals)}` : "";
  return `${amount < 0 ? "-" : ""}${whole}${fraction} ${currency.toUpperCase()}`;
}

/** A signed amount with its sign always shown (`+12.50 USD`), for balance changes. */
export const formatChange = (amount: number, currency: string) =>
  `${amount > 0 ? "+" : ""}${formatMoney(amount, currency)}`;
