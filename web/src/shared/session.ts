import { useQuery } from "@tanstack/react-query";
import { ApiError, api, call, setCsrfToken } from "./api.ts";
import type { components } from "./api-types.ts";
import { keys } from "./keys.ts";

export type Session = components["schemas"]["Session"];
export type Permission = Session["permissions"][number];

/** Who is signed in (null: nobody). The CSRF token for writes comes with it. */
export async function fetchSession(): Promise<Session | null> {
  try {
    const s = await call(api.GET("/api/v1/session"));
    setCsrfToken(s.csrfToken);
    return s;
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) {
      setCsrfToken(null);
      return null;
    }
    throw e;
  }
}

export const useSession = () =>
  useQuery({ queryKey: keys.session(), queryFn: fetchSession, staleTime: 60_000 });

/** Whether the signed-in person's role holds a permission (the server checks again on every request). */
export function useCan() {
  const { data } = useSession();
  return (permission: Permission) => Boolean(data?.permissions.includes(permission));
}
