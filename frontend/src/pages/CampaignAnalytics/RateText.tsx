/** A rate with its 95 % Wilson interval, or a dash when nobody was exposed. */
import { Tooltip, Typography } from "antd";

import type { Rate } from "../../api/analytics";
import { formatPercent } from "../../components/format";

export function RateText({ rate }: { rate: Rate | null | undefined }) {
  if (!rate || rate.value === null || rate.value === undefined) return <span>—</span>;
  return (
    <Tooltip title={`${rate.successes} of ${rate.trials}; 95% interval (Wilson) ${formatPercent(rate.low)} to ${formatPercent(rate.high)}`}>
      <span>
        {formatPercent(rate.value)}{" "}
        <Typography.Text type="secondary">
          ({formatPercent(rate.low)}–{formatPercent(rate.high)})
        </Typography.Text>
      </span>
    </Tooltip>
  );
}
