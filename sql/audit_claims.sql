-- The verdict `hcpcs-diff audit CLAIMS --date-column DATE` gives each claim line, in plain SQL
-- that DuckDB and Spark SQL both run, over the tables `hcpcs-diff export --format parquet`
-- writes (README: "Claims in a warehouse engine").
--
-- Expects these tables (or views):
--   releases, codes, validity  the Parquet export, as written
--   claims                     line BIGINT, code STRING, date_of_service DATE: one row per
--                              claim line, the code as audit reads it (upper case, the
--                              modifier apart), the date of service as a DATE
-- Gives one row per claim line: line, code, date_of_service, valid_on_date, reason and
-- release_in_effect, the columns of the same names in `audit --format csv`.
--
-- The rule (src/audit/mod.rs): a code is valid on a date when CMS added it on or before that
-- date and had not terminated it before, by the dates of the newest stored release that has
-- it (validity.current). The release in effect is the newest stored release whose first day
-- is on or before the date; a code missing from it, or a date before every stored release,
-- is said in the reason.
WITH spans AS (
  -- Each release is in effect from its first day until the next release's.
  SELECT id,
         effective_date,
         LEAD(effective_date) OVER (ORDER BY effective_date) AS next_effective_date
  FROM releases
),
oldest AS (
  SELECT MIN(id) AS id FROM releases
),
judged AS (
  SELECT c.line,
         c.code,
         c.date_of_service,
         s.id AS release_in_effect,
         v.code AS known,
         v.valid_from,
         v.valid_to,
         p.code AS in_release_in_effect,
         o.id AS oldest_release
  FROM claims AS c
  CROSS JOIN oldest AS o
  LEFT JOIN spans AS s
    ON c.date_of_service >= s.effective_date
   AND (s.next_effective_date IS NULL OR c.date_of_service < s.next_effective_date)
  LEFT JOIN validity AS v
    ON v.code = c.code AND v.current
  LEFT JOIN codes AS p
    ON p.release = s.id AND p.code = c.code
)
SELECT line,
       code,
       date_of_service,
       CASE
         WHEN known IS NULL THEN FALSE
         WHEN valid_from IS NOT NULL AND date_of_service < valid_from THEN FALSE
         WHEN valid_to IS NOT NULL AND date_of_service > valid_to THEN FALSE
         ELSE TRUE
       END AS valid_on_date,
       CASE
         WHEN known IS NULL THEN 'in no stored release'
         ELSE
           CASE
             WHEN valid_from IS NOT NULL AND date_of_service < valid_from
               THEN 'not yet added: CMS added it on ' || CAST(valid_from AS STRING)
             WHEN valid_to IS NOT NULL AND date_of_service > valid_to
               THEN 'terminated ' || CAST(valid_to AS STRING)
             ELSE COALESCE('added ' || CAST(valid_from AS STRING), 'no date added')
                  || COALESCE(', terminated ' || CAST(valid_to AS STRING), '')
           END
           || CASE
                WHEN release_in_effect IS NOT NULL AND in_release_in_effect IS NULL
                  THEN '; not in ' || release_in_effect || ' (in effect on that date)'
                ELSE ''
              END
           || CASE
                WHEN release_in_effect IS NULL
                  THEN '; no stored release was in effect on ' || CAST(date_of_service AS STRING)
                       || ' (the oldest is ' || oldest_release || '): judged by CMS''s dates'
                ELSE ''
              END
       END AS reason,
       release_in_effect
FROM judged
ORDER BY line
