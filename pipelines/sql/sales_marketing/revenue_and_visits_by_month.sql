-- Revenue, leads, visits and paid conversions per month of one run date.
-- The database is filled in when the pipeline is rendered; the run date is the
-- query's execution parameter (never formatted into the text).
SELECT date_trunc('month', date) AS month,
       sum(forecasted_monthly_revenue) AS forecasted_revenue,
       sum(lead_count) AS leads,
       sum(website_visits) AS website_visits,
       sum(paid_conversion) AS paid_conversions
FROM ${database}.sales_marketing_joined
WHERE run_date = ?
GROUP BY 1
ORDER BY 1
