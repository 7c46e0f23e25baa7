import { Alert, Badge, Button, Card, Col, Empty, List, Row, Skeleton, Tabs, Typography } from "antd";
import dayjs from "dayjs";
import { useSearchParams } from "react-router";
import { useCan } from "../../shared/session.ts";
import { ToneTag } from "../../shared/tone.tsx";
import { useRuleVersions, useRuleWrites, useVocabulary } from "./data.ts";
import type { RuleVersion } from "./model.ts";
import { Suggestions } from "./suggestions.tsx";
import { useRulesText } from "./text.ts";
import { Thresholds } from "./thresholds.tsx";
import { personOf, STATUS_TONE, VersionView } from "./version-view.tsx";

/**
 * 审核规则: the live rule set and every version of it, drafts edited and backtested before they go live
 * (maker–checker when it is on), and the risk and quality-alert thresholds. The version shown and the
 * tab are in the address, so a link to a draft opens it.
 */
export default function Rules() {
  const { t } = useRulesText();
  const [params, setParams] = useSearchParams();
  const asked = params.get("tab");
  const tab = asked === "thresholds" || asked === "suggestions" ? asked : "rules";
  return (
    <div data-testid="rules-screen">
      <Typography.Title level={3} style={{ marginTop: 0 }}>
        {t("title")}
      </Typography.Title>
      <Tabs
        activeKey={tab}
        onChange={(k) => setParams(k === "rules" ? {} : { tab: k })}
        items={[
          { key: "rules", label: t("tabs.rules"), children: <RuleSets /> },
          {
            key: "suggestions",
            label: t("tabs.suggestions"),
            children: <Suggestions onOpen={(version) => setParams({ version: String(version) })} />,
          },
          { key: "thresholds", label: t("tabs.thresholds"), children: <Thresholds /> },
        ]}
      />
    </div>
  );
}

function RuleSets() {
  const { t } = useRulesText();
  const [params, setParams] = useSearchParams();
  const vocab = useVocabulary();
  const list = useRuleVersions();
  const writes = useRuleWrites();
  const can = useCan();
  if (list.error || vocab.error)
    return <Alert type="error" showIcon role="alert" title={(list.error ?? vocab.error)?.message} />;
  if (!list.data || !vocab.data) return <Skeleton active />;
  const versions = list.data.versions;
  const asked = Number(params.get("version"));
  const shown: RuleVersion | undefined =
    versions.find((v) => v.version === asked) ?? versions.find((v) => v.status === "active") ?? versions[0];
  const open = (version: number) => setParams({ version: String(version) });
  return (
    <Row gutter={[16, 16]}>
      <Col xs={24} lg={7} xl={6}>
        <Card size="small" title={t("versions.title")} data-testid="versions">
          <List
            size="small"
            dataSource={versions}
            locale={{ emptyText: t("versions.none") }}
            renderItem={(v) => (
              <List.Item
                key={v.version}
                data-testid="version-item"
                data-version={v.version}
                style={{
                  cursor: "pointer",
                  background: v.version === shown?.version ? "#eef4ff" : undefined,
                  paddingInline: 8,
                }}
                onClick={() => open(v.version)}
              >
                <List.Item.Meta
                  title={
                    <a
                      href={`?version=${v.version}`}
                      onClick={(e) => {
                        e.preventDefault();
                        open(v.version);
                      }}
                      aria-current={v.version === shown?.version ? "page" : undefined}
                    >
                      {t("versions.name", { version: v.version })}{" "}
                      <ToneTag key={v.status} tone={STATUS_TONE[v.status]}>
                        {t(`status.${v.status}`)}
                      </ToneTag>
                      {v.status === "draft" && list.data.secondPerson && v.requestedBy && (
                        <Badge status="warning" text={t("activate.waitingShort")} />
                      )}
                    </a>
                  }
                  description={`${personOf(v.createdBy)} · ${dayjs(v.createdAt).format("MM-DD HH:mm")}${v.note ? ` · ${v.note}` : ""}`}
                />
              </List.Item>
            )}
          />
        </Card>
      </Col>
      <Col xs={24} lg={17} xl={18}>
        {shown ? (
          <VersionView
            key={shown.version}
            vocab={vocab.data}
            version={shown}
            secondPerson={list.data.secondPerson}
            onOpen={open}
          />
        ) : (
          <Empty description={t("versions.none")}>
            {can("rules.write") && (
              <Button
                type="primary"
                loading={writes.create.isPending}
                onClick={() =>
                  writes.create
                    .mutateAsync({ definition: { rules: [], solutions: [] } })
                    .then((d) => open(d.version))
                }
              >
                {t("versions.startEmpty")}
              </Button>
            )}
          </Empty>
        )}
      </Col>
    </Row>
  );
}
