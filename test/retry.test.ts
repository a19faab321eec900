import { describe, expect, it } from "vitest";
import { ApiError } from "../src/lib/errors";
import { GO_ROUND, MAX_WRITE_ATTEMPTS, retryWhileChanging } from "../src/lib/retry";

// The one optimistic-retry loop every read-decide-write service runs (src/lib/retry.ts).
describe("retryWhileChanging", () => {
  const what = { record: "customer", change: "update" };

  it("goes round until a round answers, and gives that answer (null included)", async () => {
    let rounds = 0;
    const answer = await retryWhileChanging(what, async () => (++rounds < 3 ? GO_ROUND : null));
    expect(answer).toBeNull();
    expect(rounds).toBe(3);
  });

  it("after MAX_WRITE_ATTEMPTS lost rounds, a retryable 503 naming the record and the change", async () => {
    let rounds = 0;
    const failure = await retryWhileChanging(what, async () => {
      rounds++;
      return GO_ROUND;
    }).catch((error: unknown) => error);
    expect(rounds).toBe(MAX_WRITE_ATTEMPTS);
    expect(failure).toBeInstanceOf(ApiError);
    expect((failure as ApiError).code).toBe("storage_unavailable");
    expect((failure as ApiError).message).toBe("The customer kept changing during this update; retry.");
  });

  it("a round's error ends the loop at once", async () => {
    let rounds = 0;
    const failing = retryWhileChanging(what, async () => {
      rounds++;
      throw new Error("refused");
    });
    await expect(failing).rejects.toThrow("refused");
    expect(rounds).toBe(1);
  });
});
