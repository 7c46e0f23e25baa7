import type { TFunction } from "i18next";

/** How many rows a settings list shows a page (each page read from the server). */
export const PAGE = 20;

/** A table's pager over a list paged on the server: page `current` of `total` rows, and the total said. */
export const serverPager = (
  current: number,
  total: number,
  onChange: (page: number) => void,
  t: TFunction,
) => ({
  current,
  pageSize: PAGE,
  total,
  showSizeChanger: false,
  showTotal: (n: number) => t("common:list.total", { total: n }),
  onChange,
});
