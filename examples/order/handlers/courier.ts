// The courier service's function: books a pickup for an order (a pending shipment under the order
// id). It belongs to this program, not to the saga (other flows call it too); the saga invokes it
// as its Shipping step's reserve (`functionArn`). Deployed by courier.ts next to index.ts.
import { shipments } from "./shipments";

export const book = shipments.reserve;
