import { ApiError } from "../lib/errors";

export const addressNotFound = () => new ApiError("not_found", "This customer has no address with this id.");
