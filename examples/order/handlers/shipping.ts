// Dispatch Shipment and Cancel Shipment: the second phase and the compensation of the shipment the
// courier's function booked.
import { shipments } from "./shipments";

export const { confirm: dispatch, cancel } = shipments;
