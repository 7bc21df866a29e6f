// The start Lambda of the travel saga: GET (or POST) /?tripID=...&runType=... starts one booking.
import { createStartHandler } from "../lib/start";
import { demoTrip, RUN_TYPES, TRIP_ID_PARAMETER } from "./trip";

export const handler = createStartHandler({
    idParameter: TRIP_ID_PARAMETER,
    idField: "tripId",
    runTypes: RUN_TYPES,
    // The itinerary is the demo's fixed one; only the trip id and the run type vary.
    buildInput: demoTrip,
});
