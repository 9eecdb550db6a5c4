-- The day's orders and revenue per currency, stored once per run date (a
-- rerun of the date finds its partition and adds nothing).
INSERT INTO ${database}.daily_revenue
SELECT o.currency, count(*) AS orders, sum(o.amount) AS revenue, o.run_date
FROM ${database}.orders_clean o
WHERE o.run_date = ?
  AND NOT EXISTS (SELECT 1 FROM ${database}.daily_revenue r WHERE r.run_date = o.run_date)
GROUP BY o.currency, o.run_date
