import { CloseOutlined, FilterOutlined, SearchOutlined } from "@ant-design/icons";
import { Button, Checkbox, Drawer, Input, Select, type SelectProps, Space } from "antd";
import type { TFunction } from "i18next";
import { type CSSProperties, type ReactNode, useState } from "react";
import { label } from "../../shared/i18n.ts";
import { useLifecycle, usePeople, useShops } from "./data.ts";
import { countFilters, type Filter, type FilterKey } from "./params.ts";
import { CASE_TYPE_CODES, CHANNEL_CODES, REASON_CODES, SOURCE_CODES } from "./text.ts";

const RISK_STEPS = [20, 40, 60, 80];
type ListKey = "status" | "type" | "reason" | "shop" | "source" | "channel";
/** Every state, closed ones too: one choice that stands alone. */
const ALL = "all";

interface Props {
  t: TFunction;
  filter: Filter;
  onChange: (patch: Filter) => void;
}

/** Every filter field as a control; each change applies at once (and lands in the address). */
function FilterControls({
  t,
  filter,
  onChange,
  vertical,
  after,
}: Props & { vertical: boolean; after?: ReactNode }) {
  const lifecycle = useLifecycle();
  const shops = useShops();
  const [personSearch, setPersonSearch] = useState("");
  const people = usePeople(personSearch);
  /**
   * One field's control, named for assistive technology by its aria-label. In a row its placeholder
   * names the field; in the sheet a caption above does (for the eye), and the placeholder says "any".
   */
  const field = (name: FilterKey, w: number, props: SelectProps) => {
    const control = (
      <Select
        key={name}
        allowClear
        aria-label={t(name)}
        placeholder={vertical ? t("any") : t(name)}
        style={vertical ? { width: "100%" } : { minWidth: w, maxWidth: 260 }}
        {...props}
      />
    );
    return vertical ? (
      <div key={name} style={{ marginBottom: 12 }}>
        <div style={{ marginBottom: 4 }} aria-hidden>
          {t(name)}
        </div>
        {control}
      </div>
    ) : (
      control
    );
  };
  // The fields that take several values, each with its choices and its width in a row.
  const lists: [ListKey, { value: string; label: string }[], number][] = [
    [
      "status",
      [
        { value: ALL, label: t("allStates") },
        ...(lifecycle.data?.states ?? []).map((s) => ({ value: s.status, label: label(s.label) })),
      ],
      150,
    ],
    ["type", CASE_TYPE_CODES.map((k) => ({ value: k, label: t(`types.${k}`) })), 120],
    ["reason", REASON_CODES.map((k) => ({ value: k, label: t(`reasons.${k}`) })), 120],
    ["shop", (shops.data?.items ?? []).map((s) => ({ value: s.id, label: s.name })), 120],
    ["source", SOURCE_CODES.map((k) => ({ value: k, label: t(`sources.${k}`) })), 110],
    ["channel", CHANNEL_CODES.map((k) => ({ value: k, label: t(`common:channels.${k}`) })), 110],
  ];
  /** "Every state" chosen clears the states; a state chosen after it replaces it. */
  const states = (v: string[]) =>
    v.includes(ALL) && !filter.status?.includes(ALL) ? [ALL] : v.filter((s) => s !== ALL || v.length === 1);
  // The days a case was opened come from a chart drilled into (analytics): shown, and one click clears them.
  const days = (filter.createdFrom || filter.createdTo) && (
    <Button
      key="created"
      icon={<CloseOutlined />}
      iconPlacement="end"
      aria-label={t("clearCreated", { from: filter.createdFrom ?? "…", to: filter.createdTo ?? "…" })}
      onClick={() => onChange({ createdFrom: undefined, createdTo: undefined })}
      style={vertical ? { marginBottom: 12 } : undefined}
    >
      {t("createdRange", { from: filter.createdFrom ?? "…", to: filter.createdTo ?? "…" })}
    </Button>
  );
  const controls = [
    ...lists.map(([name, options, w]) =>
      field(name, w, {
        mode: "multiple",
        maxTagCount: "responsive",
        showSearch: { optionFilterProp: "label" },
        value: filter[name] ?? [],
        onChange: (v: string[]) => onChange({ [name]: name === "status" ? states(v) : v }),
        options,
      }),
    ),
    days,
    field("owner", 120, {
      showSearch: { filterOption: false, onSearch: setPersonSearch },
      value: filter.owner,
      onChange: (v: string | undefined) => onChange({ owner: v }),
      options: [
        { value: "me", label: t("ownerMe") },
        { value: "none", label: t("ownerNone") },
        ...(people.data?.items ?? []).map((u) => ({ value: String(u.id), label: u.name })),
      ],
    }),
    field("minRisk", 120, {
      value: filter.minRisk,
      onChange: (v: number | undefined) => onChange({ minRisk: v }),
      options: RISK_STEPS.map((n) => ({ value: n, label: `${t("risk")} ≥ ${n}` })),
    }),
    field("due", 120, {
      value: filter.due,
      onChange: (v: Filter["due"]) => onChange({ due: v }),
      options: [
        { value: "overdue", label: t("dueOverdue") },
        { value: "soon", label: t("dueSoon") },
      ],
    }),
    <Checkbox
      key="secondApproval"
      checked={filter.secondApproval === true}
      onChange={(e) => onChange({ secondApproval: e.target.checked ? true : undefined })}
    >
      {t("secondApprovalOnly")}
    </Checkbox>,
  ];
  return vertical ? (
    <div>{controls}</div>
  ) : (
    <Space wrap size={[8, 8]}>
      {controls}
      {after}
    </Space>
  );
}

/** The search box: order number, platform case id, tracking number, phone's last 4 or a customer's name. */
export function SearchBox({ t, filter, onChange, style }: Props & { style?: CSSProperties }) {
  return (
    <Input.Search
      allowClear
      // A new address (a view chosen, filters cleared) resets what the box shows.
      key={filter.q ?? ""}
      defaultValue={filter.q}
      placeholder={t("searchPlaceholder")}
      aria-label={t("searchLabel")}
      enterButton={<Button type="primary" icon={<SearchOutlined />} aria-label={t("search")} />}
      onSearch={(q) => onChange({ q: q.trim() || undefined })}
      style={style}
    />
  );
}

/** Wide screens: the controls in a row. Phones: a button that opens them in a sheet from the bottom. */
export function FilterBar({ compact, ...props }: Props & { compact: boolean }) {
  const [open, setOpen] = useState(false);
  const n = countFilters(props.filter);
  const { t } = props;
  const clear = () =>
    props.onChange({
      status: undefined,
      type: undefined,
      shop: undefined,
      reason: undefined,
      source: undefined,
      channel: undefined,
      createdFrom: undefined,
      createdTo: undefined,
      owner: undefined,
      minRisk: undefined,
      due: undefined,
      secondApproval: undefined,
    });
  if (!compact)
    return (
      <FilterControls
        {...props}
        vertical={false}
        after={
          n > 0 && (
            <Button type="link" onClick={clear}>
              {t("clearFilters")}
            </Button>
          )
        }
      />
    );
  return (
    <>
      <Button
        icon={<FilterOutlined />}
        onClick={() => setOpen(true)}
        type={n ? "primary" : "default"}
        ghost={n > 0}
      >
        {n ? t("filtersActive", { count: n }) : t("filters")}
      </Button>
      <Drawer
        open={open}
        onClose={() => setOpen(false)}
        placement="bottom"
        size="85%"
        title={t("filters")}
        extra={
          n > 0 && (
            <Button type="link" onClick={clear}>
              {t("clearFilters")}
            </Button>
          )
        }
      >
        <FilterControls {...props} vertical />
      </Drawer>
    </>
  );
}
