export { consumeDeadLetters, consumeDeliveries } from "./consumer";
export { enqueueDeliveries, isDeadLetterQueue } from "./queue";
export { resendOverdueDeliveries, sweepEvents } from "./sweep";
