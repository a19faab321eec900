/**
 * The customer's money (spec section 11: `billing`, balances, charges, balance transactions,
 * and the "adjust a balance" action). That part of Roster is built apart from the console; this
 * is the one place its data will be shown. Until it is wired in (the customer page passes
 * null), it renders nothing.
 */
export type CustomerBillingData = null;

export const CustomerBilling = ({ billing }: { billing: CustomerBillingData }) => billing;
