import { useQuery } from "@tanstack/react-query";
import { Form, Select } from "antd";
import { useState } from "react";
import { api, call } from "../../../../shared/api.ts";
import { keys } from "../../../../shared/keys.ts";
import type { CaseViewData } from "../data.ts";
import { useCaseText } from "../text.ts";
import { NoteField } from "./fields.tsx";

/** 分配: a colleague to give the case to, found by name or login (GET /users), and a note for them. */
export function AssignFields({ view }: { view: CaseViewData }) {
  const { t } = useCaseText();
  const [q, setQ] = useState("");
  const filters = { q: q || undefined, limit: 50 };
  const users = useQuery({
    queryKey: keys.users(filters),
    queryFn: () => call(api.GET("/api/v1/users", { params: { query: filters } })),
  });
  const owner = view.case.owner?.id;
  return (
    <>
      <Form.Item
        name="userId"
        label={t("form.assignee")}
        rules={[{ required: true, message: t("form.required") }]}
      >
        <Select
          showSearch
          autoFocus
          filterOption={false}
          onSearch={setQ}
          placeholder={t("form.assigneeSearch")}
          loading={users.isFetching}
          options={(users.data?.items ?? [])
            .filter((u) => !u.disabled && u.id !== owner)
            .map((u) => ({
              value: u.id,
              label: `${u.name} (${u.login}) · ${t(`common:roles.${u.role}`)}${u.onDuty ? "" : ` · ${t("common:header.offDuty")}`}`,
            }))}
        />
      </Form.Item>
      <NoteField />
    </>
  );
}
