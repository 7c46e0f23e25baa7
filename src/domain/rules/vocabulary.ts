import { POLICIES, SOLUTIONS } from "../catalogue.ts";
import { ACTION_KINDS, EVIDENCE_KINDS, REJECT_REASONS } from "./actions.ts";
import { CONDITIONS } from "./conditions/index.ts";
import { OPERATORS, operatorsOf } from "./operators.ts";

/**
 * Everything a rule editor offers, from the registries themselves: fields with their types, labels,
 * values and the operators that fit them; actions; reject reasons; solutions. A new condition file
 * appears here without further edits.
 */
export function ruleVocabulary() {
  return {
    fields: CONDITIONS.map((c) => ({
      field: c.field,
      type: c.type,
      label: c.label,
      nullable: c.nullable,
      values: c.values,
      windows: c.windows,
      defaultWindow: c.defaultWindow,
      operators: operatorsOf(c).map((name) => {
        const o = OPERATORS[c.type][name];
        return { op: name, operand: o?.operand, label: o?.label };
      }),
    })),
    actions: ACTION_KINDS,
    rejectReasons: REJECT_REASONS,
    evidenceKinds: EVIDENCE_KINDS,
    solutions: SOLUTIONS,
    policies: POLICIES,
  };
}
