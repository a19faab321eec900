import { describe, expect, it } from "vitest";
import { ExpiringLru } from "../src/lib/expiring-lru";
import { BoundedLru } from "../src/lib/lru";

describe("BoundedLru", () => {
  it("forgets the least recently used entry past its capacity", () => {
    const lru = new BoundedLru<string, number>(2);
    lru.set("a", 1);
    lru.set("b", 2);
    expect(lru.get("a")).toBe(1); // "a" is now the most recent
    lru.set("c", 3);
    expect(lru.size).toBe(2);
    expect(lru.get("b")).toBeUndefined();
    expect(lru.get("a")).toBe(1);
    expect(lru.get("c")).toBe(3);
  });

  it("replaces a value without growing, and deletes", () => {
    const lru = new BoundedLru<string, number>(2);
    lru.set("a", 1);
    lru.set("a", 2);
    expect(lru.size).toBe(1);
    expect(lru.get("a")).toBe(2);
    lru.delete("a");
    expect(lru.get("a")).toBeUndefined();
  });
});

describe("ExpiringLru.keys", () => {
  it("lists the live keys and drops the expired ones on the way", () => {
    const lru = new ExpiringLru<string, true>(10, 1_000);
    lru.set("old", true, 0);
    lru.set("new", true, 500);
    lru.set("own-ttl", true, 0, 5_000);
    expect(lru.keys(1_200).sort()).toEqual(["new", "own-ttl"]);
    expect(lru.size).toBe(2);
    expect(lru.keys(6_000)).toEqual([]);
    expect(lru.size).toBe(0);
  });
});
