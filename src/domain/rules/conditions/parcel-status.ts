import { PARCEL_STATES } from "../../catalogue.ts";
import { defineCondition } from "../condition.ts";

export const parcelStatus = defineCondition({
  field: "parcel.status",
  type: "enum",
  label: { zh: "物流状态", en: "parcel status" },
  values: PARCEL_STATES,
  equalsReadsAsValue: true,
  get: (f) => f.parcel,
});
