import { POLICIES, SOLUTIONS } from "../catalogue.ts";
import { ACTION_SPECS, EVIDENCE_KINDS, REJECT_REASONS } from "./actions.ts";
import { CONDITIONS } from "./conditions/index.ts";
import { OPERATORS, operatorsOf } from "./operators.ts";

/**
 * Everything a rule editor offers, from the registries themselves: fields with their types, labels,
 * values and the operators that fit them (with how each reads); actions with their parameters; reject
 * reasons; solutions. A new condition file appears here — in the console's editor and in how its
 * rules read — without further edits.
 */
export function ruleVocabulary() {
  return {
    fields: CONDITIONS.map((c) => ({
      field: c.field,
      type: c.type,
      label: c.label,
      nullable: c.nullable,
      nullLabel: c.nullLabel,
      values: c.values,
      equalsReadsAsValue: c.equalsReadsAsValue,
      windows: c.windows,
      defaultWindow: c.defaultWindow,
      operators: operatorsOf(c).map((name) => {
        const o = OPERATORS[c.type][name];
        return { op: name, operand: o?.operand, label: o?.label, ...(o?.flag ? { flag: o.flag } : {}) };
      }),
    })),
    actions: ACTION_SPECS,
    rejectReasons: REJECT_REASONS,
    evidenceKinds: EVIDENCE_KINDS,
    solutions: SOLUTIONS,
    policies: POLICIES,
  };
}
