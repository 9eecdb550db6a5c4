-- The monthly aggregate of one run date, stored once: a rerun of the same
-- run date finds its partition already there and adds nothing.
INSERT INTO ${database}.sales_marketing_monthly
SELECT date_trunc('month', j.date) AS month,
       sum(j.forecasted_monthly_revenue) AS forecasted_revenue,
       sum(j.lead_count) AS leads,
       sum(j.website_visits) AS website_visits,
       sum(j.paid_conversion) AS paid_conversions,
       j.run_date
FROM ${database}.sales_marketing_joined j
WHERE j.run_date = ?
  AND NOT EXISTS (SELECT 1 FROM ${database}.sales_marketing_monthly m WHERE m.run_date = j.run_date)
GROUP BY 1, j.run_date
