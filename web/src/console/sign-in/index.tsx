import { LockOutlined, UserOutlined } from "@ant-design/icons";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { Alert, Button, Card, Form, Input, Segmented, Typography } from "antd";
import dayjs from "dayjs";
import { Navigate, useNavigate, useSearchParams } from "react-router";
import { ApiError, api, call, setCsrfToken } from "../../shared/api.ts";
import { LANGUAGES, type Language, setLanguage, useScreenText } from "../../shared/i18n.ts";
import { keys } from "../../shared/keys.ts";
import { useSession } from "../../shared/session.ts";

const TEXT = {
  "zh-CN": {
    title: "登录售后管理",
    login: "账号",
    password: "密码",
    submit: "登录",
    required: "请输入{{field}}",
    failed: "账号或密码不正确。",
    locked: "登录失败次数过多，账号已锁定至 {{until}}，或请管理员解锁。",
    limited: "尝试太频繁，请稍后再试。",
  },
  en: {
    title: "Sign in to After-sales",
    login: "Login",
    password: "Password",
    submit: "Sign in",
    required: "Enter your {{field}}",
    failed: "Wrong login or password.",
    locked:
      "Too many failed sign-ins: the account is locked until {{until}}, or ask an administrator to unlock it.",
    limited: "Too many attempts; try again shortly.",
  },
};

/** Only a path inside the console may be returned to after signing in (no open redirect). */
const safeReturn = (from: string | null) =>
  from?.startsWith("/") && !from.startsWith("//") ? from : "/queue";

export default function SignIn() {
  const { t, i18n } = useScreenText("sign-in", TEXT);
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const client = useQueryClient();
  const { data: session } = useSession();
  const signIn = useMutation({
    mutationFn: (body: { login: string; password: string }) => call(api.POST("/api/v1/session", { body })),
    onSuccess: (s) => {
      setCsrfToken(s.csrfToken);
      client.setQueryData(keys.session(), s);
      if (s.user.language && (LANGUAGES as readonly string[]).includes(s.user.language))
        void setLanguage(s.user.language as Language);
      navigate(safeReturn(params.get("from")), { replace: true });
    },
  });
  if (session) return <Navigate to={safeReturn(params.get("from"))} replace />;
  const error = signIn.error;
  const problem =
    error instanceof ApiError
      ? error.code === "ACCOUNT_LOCKED"
        ? t("locked", { until: dayjs(String(error.details.until)).format("HH:mm") })
        : error.code === "RATE_LIMITED"
          ? t("limited")
          : error.code === "SIGN_IN_FAILED"
            ? t("failed")
            : error.message
      : error
        ? t("common:errors.network")
        : null;
  return (
    <main
      style={{
        minHeight: "100vh",
        display: "grid",
        placeItems: "center",
        background: "#f5f7fa",
        padding: 16,
      }}
    >
      <Card style={{ width: "100%", maxWidth: 380 }}>
        <div
          style={{ display: "flex", justifyContent: "space-between", alignItems: "center", marginBottom: 24 }}
        >
          <Typography.Title level={1} style={{ margin: 0, fontSize: 22 }}>
            {t("title")}
          </Typography.Title>
          <Segmented
            size="small"
            aria-label={t("common:header.language")}
            value={i18n.language}
            options={LANGUAGES.map((l) => ({ value: l, label: l === "en" ? "EN" : "中" }))}
            onChange={(v) => void setLanguage(v as Language)}
          />
        </div>
        {problem && <Alert type="error" title={problem} showIcon style={{ marginBottom: 16 }} role="alert" />}
        <Form layout="vertical" onFinish={(v) => signIn.mutate(v)} requiredMark={false}>
          <Form.Item
            name="login"
            label={t("login")}
            rules={[{ required: true, message: t("required", { field: t("login") }) }]}
          >
            <Input prefix={<UserOutlined />} autoComplete="username" autoFocus />
          </Form.Item>
          <Form.Item
            name="password"
            label={t("password")}
            rules={[{ required: true, message: t("required", { field: t("password") }) }]}
          >
            <Input.Password prefix={<LockOutlined />} autoComplete="current-password" />
          </Form.Item>
          <Button type="primary" htmlType="submit" block loading={signIn.isPending}>
            {t("submit")}
          </Button>
        </Form>
      </Card>
    </main>
  );
}
