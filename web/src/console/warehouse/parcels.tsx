import { useInfiniteQuery, useMutation } from "@tanstack/react-query";
import { App, Button, Card, Empty, Input, List, Space, Typography } from "antd";
import dayjs from "dayjs";
import type { TFunction } from "i18next";
import { keys } from "../../shared/keys.ts";
import { matchParcel, openParcels } from "./data.ts";

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
                <MatchToCase t={t} parcelId={p.id} />
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

/**
 * 认领: the parcel's case, once someone knows it (a buyer's message, the contents): the case receives
 * everything it still expects. The list refreshes from the case's live event.
 */
function MatchToCase({ t, parcelId }: { t: TFunction; parcelId: number }) {
  const { message } = App.useApp();
  const match = useMutation({
    mutationFn: (caseId: number) => matchParcel(parcelId, caseId),
    onSuccess: (_, caseId) => void message.success(t("parcels.matched", { id: parcelId, caseId })),
    onError: (e: Error) => void message.error(e.message),
  });
  return (
    <Input.Search
      size="small"
      style={{ width: 220, marginTop: 4 }}
      aria-label={t("parcels.matchLabel", { id: parcelId })}
      placeholder={t("parcels.matchPlaceholder")}
      enterButton={t("parcels.matchButton")}
      loading={match.isPending}
      autoComplete="off"
      onSearch={(v) => {
        const id = Number(v.trim().replace(/^#/, ""));
        if (!Number.isSafeInteger(id) || id <= 0) return void message.error(t("parcels.badCase"));
        match.mutate(id);
      }}
    />
  );
}
