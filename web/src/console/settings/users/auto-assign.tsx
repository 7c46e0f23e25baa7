import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { App, Card, Space, Switch, Typography } from "antd";
import { api, call } from "../../../shared/api.ts";
import { useScreenText } from "../../../shared/i18n.ts";
import { keys } from "../../../shared/keys.ts";

const TEXT = {
  "zh-CN": {
    title: "自动分配",
    on: "开启后，等待人工处理的售后单（规则转人工、退款失败、待复核）依次分给在岗、可见该店铺的审核人员，未结单最少者优先。",
    off: "关闭时，售后单留在队列里，由人员认领或主管分配。",
    saved: "已保存",
  },
  en: {
    title: "Automatic assignment",
    on: "When on, cases left for a person (routed by a rule, a refund refused, awaiting a second approval) go in turn to on-duty approvers who see the shop, fewest open cases first.",
    off: "When off, cases wait in the queue for someone to claim them or a supervisor to assign them.",
    saved: "Saved",
  },
};

/** The shop-wide switch for round-robin assignment; who takes part is each person's 在岗 (on duty). */
export function AutoAssign() {
  const { t } = useScreenText("autoAssign", TEXT);
  const { message } = App.useApp();
  const client = useQueryClient();
  const setting = useQuery({
    queryKey: keys.settings("assignment"),
    queryFn: () => call(api.GET("/api/v1/settings/assignment")),
  });
  const save = useMutation({
    mutationFn: (auto: boolean) => call(api.PUT("/api/v1/settings/assignment", { body: { auto } })),
    onSuccess: (s) => {
      client.setQueryData(keys.settings("assignment"), s);
      void message.success(t("saved"));
    },
    onError: (e: Error) => void message.error(e.message),
  });
  const auto = setting.data?.auto ?? false;
  return (
    <Card size="small" style={{ marginBottom: 16 }}>
      <Space align="start">
        <Switch
          id="auto-assign"
          checked={auto}
          loading={setting.isLoading || save.isPending}
          onChange={(v) => save.mutate(v)}
        />
        <div>
          <Typography.Text strong>
            <label htmlFor="auto-assign">{t("title")}</label>
          </Typography.Text>
          <Typography.Paragraph type="secondary" style={{ margin: 0 }}>
            {auto ? t("on") : t("off")}
          </Typography.Paragraph>
        </div>
      </Space>
    </Card>
  );
}
