// The status Lambda of the travel saga: GET /trips/{tripId} reports one booking.
import { createStatusHandler } from "../lib/status";

export const handler = createStatusHandler();
