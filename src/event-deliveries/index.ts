export { consumeDeadLetters, consumeDeliveries } from "./consumer";
export { enqueueDeliveries, isDeadLetterQueue } from "./queue";
export { sweepEvents } from "./sweep";
