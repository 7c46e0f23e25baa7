import { ArrowLeftOutlined } from "@ant-design/icons";
import { useQuery } from "@tanstack/react-query";
import { Result, Skeleton, Space, Tabs, Tag, Typography } from "antd";
import { Link, useParams, useSearchParams } from "react-router";
import { api, call } from "../../../../shared/api.ts";
import { useScreenText } from "../../../../shared/i18n.ts";
import { keys } from "../../../../shared/keys.ts";
import { TEXT } from "../text.ts";
import { ReturnAddressForm } from "./address.tsx";
import { ConnectionForm } from "./connection.tsx";
import { ReviewForm } from "./review.tsx";
import { SyncStatus } from "./sync.tsx";

const TABS = ["connection", "sync", "address", "review"] as const;

/** One shop: its platform connection, how its sync goes, where returns go and its review limits — a tab each. */
export default function ShopSettings() {
  const { t } = useScreenText("shops", TEXT);
  const id = useParams().shop ?? "";
  const [params, setParams] = useSearchParams();
  const tab = (TABS as readonly string[]).includes(params.get("tab") ?? "")
    ? params.get("tab")
    : "connection";
  const shops = useQuery({ queryKey: keys.shops(), queryFn: () => call(api.GET("/api/v1/shops")) });
  const shop = shops.data?.items.find((s) => s.id === id);
  if (shops.isLoading) return <Skeleton active />;
  if (!shop) return <Result status="404" title="404" subTitle={t("common:errors.notFound")} />;
  return (
    <section aria-labelledby="shop-title">
      <div>
        <Link to="/settings/shops">
          <ArrowLeftOutlined /> {t("back")}
        </Link>
      </div>
      <Space align="center" style={{ margin: "8px 0 4px" }} wrap>
        <Typography.Title level={1} id="shop-title" style={{ fontSize: 20, margin: 0 }}>
          {shop.name}
        </Typography.Title>
        <Tag>{t(`common:channels.${shop.channel}`)}</Tag>
        <Typography.Text type="secondary">{shop.id}</Typography.Text>
      </Space>
      <Tabs
        activeKey={tab ?? "connection"}
        onChange={(key) => setParams({ tab: key }, { replace: true })}
        destroyOnHidden
        items={[
          { key: "connection", label: t("tabs.connection"), children: <ConnectionForm shop={shop} /> },
          { key: "sync", label: t("tabs.sync"), children: <SyncStatus shop={shop.id} /> },
          { key: "address", label: t("tabs.address"), children: <ReturnAddressForm shop={shop.id} /> },
          { key: "review", label: t("tabs.review"), children: <ReviewForm shop={shop.id} /> },
        ]}
      />
    </section>
  );
}
