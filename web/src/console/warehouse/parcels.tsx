import { useInfiniteQuery } from "@tanstack/react-query";
import { Button, Card, Empty, List, Space, Typography } from "antd";
import dayjs from "dayjs";
import type { TFunction } from "i18next";
import { keys } from "../../shared/keys.ts";
import { openParcels } from "./data.ts";

/** Unidentified parcels (无头件) still waiting for their case, newest first, a page at a time. */
export function OpenParcels({ t }: { t: TFunction }) {
  const parcels = useInfiniteQuery({
    queryKey: keys.parcels({ status: "open" }),
    queryFn: ({ pageParam }) => openParcels(pageParam),
    initialPageParam: undefined as number | undefined,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  });
  const items = parcels.data?.pages.flatMap((p) => p.items) ?? [];
  return (
    <Card
      size="small"
      style={{ marginTop: 16 }}
      title={<h2 style={{ fontSize: 16, margin: 0 }}>{t("parcels.title")}</h2>}
      data-testid="open-parcels"
    >
      {items.length === 0 && !parcels.isPending ? (
        <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t("parcels.empty")} />
      ) : (
        <List
          size="small"
          loading={parcels.isPending}
          dataSource={items}
          style={{ maxHeight: 360, overflow: "auto" }}
          renderItem={(p) => (
            <List.Item data-parcel={p.id}>
              <Space direction="vertical" size={0}>
                <Typography.Text strong>
                  #{p.id} · {p.scanned}
                </Typography.Text>
                {p.contents && <Typography.Text>{p.contents}</Typography.Text>}
                <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                  {[p.carrier, p.trackingNo !== p.scanned ? p.trackingNo : null, p.note]
                    .filter(Boolean)
                    .join(" · ")}
                  {(p.carrier || p.note) && " · "}
                  {p.receivedBy.replace(/^user:/, "")} · {dayjs(p.receivedAt).format("MM-DD HH:mm")}
                </Typography.Text>
              </Space>
            </List.Item>
          )}
        />
      )}
      {parcels.hasNextPage && (
        <Button
          block
          size="small"
          loading={parcels.isFetchingNextPage}
          onClick={() => void parcels.fetchNextPage()}
        >
          {t("parcels.more")}
        </Button>
      )}
    </Card>
  );
}
