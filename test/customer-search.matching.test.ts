import { describe, expect, it } from "vitest";
import { customerWith, found } from "./customer-search-helpers";
import { newOrganization } from "./helpers";

/** GET /v1/customers/search: which customers a term matches (spec section 12). */

describe("customer search: matching", () => {
  it("matches a prefix of a word of every searched field, and nothing inside a word", async () => {
    const { key } = await newOrganization();
    const jenny = await customerWith(key, {
      name: "Jenny Doe",
      email: "jenny.doe@example.com",
      username: "jenny_doe",
      phone: "+1 111-867-5309",
      company: "Acme Inc.",
    });
    const byField = {
      first: await customerWith(key, { first_name: "Wilhelmina" }),
      last: await customerWith(key, { last_name: "Quixote" }),
      display: await customerWith(key, { display_name: "Zebulon" }),
      alternative: await customerWith(key, { alternative_id: "user/Xanadu-42" }),
    };
    expect(await found(key, "jen")).toEqual([jenny]);
    expect(await found(key, "JENNY")).toEqual([jenny]);
    expect(await found(key, "acm")).toEqual([jenny]);
    expect(await found(key, "example")).toEqual([jenny]);
    expect(await found(key, "wilh")).toEqual([byField.first]);
    expect(await found(key, "quix")).toEqual([byField.last]);
    expect(await found(key, "zebu")).toEqual([byField.display]);
    expect(await found(key, "xanadu")).toEqual([byField.alternative]);
    expect(await found(key, "42")).toEqual([byField.alternative]);
    // Not inside a word, not a suffix.
    expect(await found(key, "enny")).toEqual([]);
    expect(await found(key, "oe")).toEqual([]);
  });

  it("ANDs the terms", async () => {
    const { key } = await newOrganization();
    const jennyDoe = await customerWith(key, { name: "Jenny Doe" });
    const jennySmith = await customerWith(key, { name: "Jenny Smith" });
    const johnDoe = await customerWith(key, { first_name: "John", last_name: "Doe" });
    expect(await found(key, "jenny")).toEqual([jennySmith, jennyDoe]);
    expect(await found(key, "jenny doe")).toEqual([jennyDoe]);
    expect(await found(key, "doe")).toEqual([johnDoe, jennyDoe]);
    expect(await found(key, "jo do")).toEqual([johnDoe]);
    expect(await found(key, "jenny john")).toEqual([]);
  });

  it("ignores case and diacritics both ways", async () => {
    const { key } = await newOrganization();
    const jose = await customerWith(key, { name: "José Ñúñez" });
    const plain = await customerWith(key, { name: "JOSE NUNEZ" });
    const turkish = await customerWith(key, { name: "İstanbul Straße" });
    expect(await found(key, "jose")).toEqual([plain, jose]);
    expect(await found(key, "JOSÉ")).toEqual([plain, jose]);
    expect(await found(key, "ñúñ")).toEqual([plain, jose]);
    expect(await found(key, "istan")).toEqual([turkish]);
    expect(await found(key, "straße")).toEqual([turkish]);
  });

  it("matches a term with other characters as consecutive words of one field, the last as a prefix", async () => {
    const { key } = await newOrganization();
    const jenny = await customerWith(key, { email: "jenny.doe@example.com", name: "Doe Jenny" });
    const split = await customerWith(key, { first_name: "Jenny", last_name: "Doe", email: "x@example.org" });
    expect(await found(key, "jenny.doe@exa")).toEqual([jenny]);
    expect(await found(key, "jenny.doe")).toEqual([jenny]);
    expect(await found(key, "doe@example.c")).toEqual([jenny]);
    // Words must follow each other, in one field, in order; the first words whole.
    expect(await found(key, "jenny.example")).toEqual([]);
    expect(await found(key, "doe.jenny")).toEqual([jenny]); // "Doe Jenny", the name
    expect(await found(key, "jen.doe")).toEqual([]);
    expect(await found(key, "jenny-d")).toEqual([jenny]);
    expect(await found(key, "example.org")).toEqual([split]);
  });

  it("matches the last digits of a phone for a digit term of at least 4 digits", async () => {
    const { key } = await newOrganization();
    const jenny = await customerWith(key, { name: "Jenny", phone: "+1 111-867-5309" });
    const other = await customerWith(key, { name: "Other", phone: "(555) 010-9999" });
    expect(await found(key, "5309")).toEqual([jenny]);
    expect(await found(key, "867-5309")).toEqual([jenny]);
    expect(await found(key, "+1-111-867-5309")).toEqual([jenny]);
    expect(await found(key, "(111)8675309")).toEqual([jenny]);
    expect(await found(key, "1118")).toEqual([]);
    expect(await found(key, "309")).toEqual([]); // 3 digits: words only
    expect(await found(key, "010-9999")).toEqual([other]);
    expect(await found(key, "5309 jenny")).toEqual([jenny]);
    expect(await found(key, "5309 other")).toEqual([]);
  });

  it("finds digit terms as word prefixes too, and never finds a phone as a word", async () => {
    const { key } = await newOrganization();
    const numbered = await customerWith(key, { alternative_id: "5309-acct", phone: "+1 222 333 4444" });
    expect(await found(key, "5309")).toEqual([numbered]);
    expect(await found(key, "222")).toEqual([]);
    expect(await found(key, "4444")).toEqual([numbered]);
    expect(await found(key, "4444333")).toEqual([]);
  });
});
