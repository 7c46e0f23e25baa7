import type { RiskSignal } from "../signal.ts";
import { counted, joinText, type Text } from "../text.ts";

const others = (n: number): string => counted(n, "other account");

/**
 * 多账号共用身份信息: the phone or device of other customers — or an address shared by more
 * accounts than a family or an office would explain.
 */
export const sharedIdentity: RiskSignal = {
  code: "shared_identity",
  label: { zh: "多账号共用身份信息", en: "Shared identity" },
  defaultWeight: 25,
  test(p, t) {
    const { sharedPhone, sharedDevice, sharedAddress } = p.customer;
    const parts: Text[] = [];
    if (sharedPhone >= 1) {
      parts.push({
        zh: `手机号与 ${sharedPhone} 个其他账号相同`,
        en: `phone shared with ${others(sharedPhone)}`,
      });
    }
    if (sharedDevice >= 1) {
      parts.push({
        zh: `设备与 ${sharedDevice} 个其他账号相同`,
        en: `device shared with ${others(sharedDevice)}`,
      });
    }
    if (sharedAddress >= t.sharedAddressAccounts) {
      parts.push({
        zh: `收货地址与 ${sharedAddress} 个其他账号相同（阈值 ${t.sharedAddressAccounts} 个）`,
        en: `delivery address shared with ${others(sharedAddress)} (threshold ${t.sharedAddressAccounts})`,
      });
    }
    if (parts.length === 0) return null;
    return { reason: joinText(parts), data: { sharedPhone, sharedDevice, sharedAddress } };
  },
};
