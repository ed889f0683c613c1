import { useQuery } from "@tanstack/react-query";
import { Alert, Button, Card, Empty, Skeleton, Space, Table, Tag, Typography } from "antd";
import type { ColumnsType } from "antd/es/table";
import { useEffect, useState } from "react";
import type { Priority, QueueEntry, TriageRoute } from "../../backend";
import { useBackend } from "../../backend/context";
import { isMessageKey, useI18n } from "../../i18n";
import { clock, secondsLeft } from "./countdown";

const PRIORITY_COLOR: Record<Priority, string> = { emergency: "red", urgent: "orange", normal: "blue" };

/** Ticks once a second so the SLA countdown is live (R-TRI-3). */
function useNow(intervalMs = 1000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const id = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(id);
  }, [intervalMs]);
  return now;
}

export function HomeScreen() {
  const backend = useBackend();
  const { t } = useI18n();
  const now = useNow();
  const summary = useQuery({
    queryKey: ["home_summary"],
    queryFn: () => backend.call("home_summary", {}),
    refetchInterval: 15_000,
  });

  const routeLabel = (route: TriageRoute) => {
    if (route.kind !== "specialist") return t(`route.${route.kind}`);
    const key = `specialty.${route.specialty}`;
    return t("route.specialist", { specialty: isMessageKey(key) ? t(key) : route.specialty });
  };

  const columns: ColumnsType<QueueEntry> = [
    {
      title: t("queue.priority"),
      dataIndex: "priority",
      width: 96,
      render: (p: Priority) => <Tag color={PRIORITY_COLOR[p]}>{t(`priority.${p}`)}</Tag>,
    },
    {
      title: t("queue.patient"),
      key: "patient",
      width: 160,
      render: (_, e) => (
        <Space size={4}>
          <span>{e.patient.masked_name}</span>
          <Typography.Text type="secondary">
            {t(`sex.${e.patient.sex}`)} · {t("queue.age", { age: e.patient.age_years })}
          </Typography.Text>
        </Space>
      ),
    },
    { title: t("queue.channel"), dataIndex: "channel", width: 80, render: (c: QueueEntry["channel"]) => t(`channel.${c}`) },
    { title: t("queue.route"), dataIndex: "route", width: 180, render: routeLabel },
    { title: t("queue.complaint"), dataIndex: "complaint", ellipsis: true },
    {
      title: t("queue.timeLeft"),
      key: "time",
      width: 140,
      render: (_, e) => {
        const left = secondsLeft(e.respond_by, now);
        return left < 0 ? (
          <Tag color="red" data-testid="breached">
            {t("queue.breached", { time: clock(left) })}
          </Tag>
        ) : (
          <span style={{ fontVariantNumeric: "tabular-nums" }}>{clock(left)}</span>
        );
      },
    },
  ];

  if (summary.isPending) return <Skeleton active />;
  if (summary.isError) {
    return (
      <Alert
        type="error"
        showIcon
        message={t("app.error", { message: summary.error.message })}
        action={<Button onClick={() => void summary.refetch()}>{t("app.retry")}</Button>}
      />
    );
  }
  const { queue, breached } = summary.data;
  return (
    <Card
      data-testid="home-screen"
      title={
        <Space orientation="vertical" size={0}>
          <Typography.Title level={4} style={{ margin: 0 }}>
            {t("home.heading")}
          </Typography.Title>
          <Typography.Text type="secondary" data-testid="queue-summary">
            {t("home.summary", { count: queue.length, breached })}
          </Typography.Text>
        </Space>
      }
    >
      <Table<QueueEntry>
        rowKey="id"
        size="small"
        columns={columns}
        dataSource={queue}
        pagination={false}
        locale={{ emptyText: <Empty description={t("home.empty")} /> }}
        rowClassName={(e) => (secondsLeft(e.respond_by, now) < 0 ? "queue-row-breached" : "")}
      />
    </Card>
  );
}
