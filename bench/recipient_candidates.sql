-- Candidate forms of the recipient and mailbox maps (#17 point 1), timed by
-- bench/recipient_candidates.py beside the live ones. Not a migration: the
-- bench creates them (CREATE OR REPLACE) in the bench database only.
-- *_set: SECURITY DEFINER, the tables joined to domains inside (plans cached per
--        connection), so the domain gate is a join, not a function call per row.
-- *_noset: the same without the SET clause (saved and restored on every call);
--        every table, operator and type schema-qualified instead, so a caller's
--        search_path cannot put its own objects in the definer's query.
-- _set forms.
CREATE OR REPLACE FUNCTION exp_recipient_set(lookup_local text, lookup_domain text) RETURNS SETOF text
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $fn$
DECLARE
  domain_name text := lookup_domain;
  wanted text := lookup_local || '@' || lookup_domain;
  answer text;
BEGIN
  FOR hop IN 1..2 LOOP
    SELECT a.goto INTO answer FROM aliases a JOIN domains d ON d.id = a.domain_id
     WHERE a.address = wanted AND a.active AND d.active;
    IF answer IS NOT NULL THEN RETURN NEXT answer; RETURN; END IF;
    SELECT m.address INTO answer FROM mailboxes m JOIN domains d ON d.id = m.domain_id
     WHERE m.address = wanted AND m.active AND d.active;
    IF answer IS NOT NULL THEN RETURN NEXT answer; RETURN; END IF;
    SELECT a.goto INTO answer FROM aliases a JOIN domains d ON d.id = a.domain_id
     WHERE a.address = '@' || domain_name AND a.active AND d.active;
    IF answer IS NOT NULL THEN
      IF NOT EXISTS (SELECT 1 FROM mailboxes m WHERE m.address = wanted) THEN RETURN NEXT answer; END IF;
      RETURN;
    END IF;
    IF hop = 2 THEN RETURN; END IF;
    SELECT ad.target_name INTO domain_name FROM alias_domains ad JOIN domains d ON d.id = ad.target_domain_id
     WHERE ad.name = lookup_domain AND ad.active AND d.active;
    IF domain_name IS NULL THEN RETURN; END IF;
    wanted := lookup_local || '@' || domain_name;
  END LOOP;
END
$fn$;
-- _noset forms.
CREATE OR REPLACE FUNCTION exp_recipient_noset(lookup_local text, lookup_domain text) RETURNS SETOF text
LANGUAGE plpgsql STABLE SECURITY DEFINER AS $fn$
DECLARE
  domain_name pg_catalog.text := lookup_domain;
  wanted pg_catalog.text := lookup_local OPERATOR(pg_catalog.||) '@' OPERATOR(pg_catalog.||) lookup_domain;
  answer pg_catalog.text;
BEGIN
  FOR hop IN 1..2 LOOP
    SELECT a.goto INTO answer FROM public.aliases a JOIN public.domains d ON d.id OPERATOR(pg_catalog.=) a.domain_id
     WHERE a.address OPERATOR(pg_catalog.=) wanted AND a.active AND d.active;
    IF answer IS NOT NULL THEN RETURN NEXT answer; RETURN; END IF;
    SELECT m.address INTO answer FROM public.mailboxes m JOIN public.domains d ON d.id OPERATOR(pg_catalog.=) m.domain_id
     WHERE m.address OPERATOR(pg_catalog.=) wanted AND m.active AND d.active;
    IF answer IS NOT NULL THEN RETURN NEXT answer; RETURN; END IF;
    SELECT a.goto INTO answer FROM public.aliases a JOIN public.domains d ON d.id OPERATOR(pg_catalog.=) a.domain_id
     WHERE a.address OPERATOR(pg_catalog.=) ('@' OPERATOR(pg_catalog.||) domain_name) AND a.active AND d.active;
    IF answer IS NOT NULL THEN
      IF NOT EXISTS (SELECT 1 FROM public.mailboxes m WHERE m.address OPERATOR(pg_catalog.=) wanted) THEN RETURN NEXT answer; END IF;
      RETURN;
    END IF;
    IF hop OPERATOR(pg_catalog.=) 2 THEN RETURN; END IF;
    SELECT ad.target_name INTO domain_name FROM public.alias_domains ad JOIN public.domains d ON d.id OPERATOR(pg_catalog.=) ad.target_domain_id
     WHERE ad.name OPERATOR(pg_catalog.=) lookup_domain AND ad.active AND d.active;
    IF domain_name IS NULL THEN RETURN; END IF;
    wanted := lookup_local OPERATOR(pg_catalog.||) '@' OPERATOR(pg_catalog.||) domain_name;
  END LOOP;
END
$fn$;
-- The mailbox map (virtual_mailbox_maps), both ways.
CREATE OR REPLACE FUNCTION exp_mailbox_set(wanted text) RETURNS SETOF text
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $fn$
BEGIN
  RETURN QUERY SELECT m.address::text FROM mailboxes m JOIN domains d ON d.id = m.domain_id
   WHERE m.address = wanted AND m.active AND d.active;
END
$fn$;
CREATE OR REPLACE FUNCTION exp_mailbox_noset(wanted text) RETURNS SETOF text
LANGUAGE plpgsql STABLE SECURITY DEFINER AS $fn$
BEGIN
  RETURN QUERY SELECT m.address::pg_catalog.text FROM public.mailboxes m JOIN public.domains d ON d.id OPERATOR(pg_catalog.=) m.domain_id
   WHERE m.address OPERATOR(pg_catalog.=) wanted AND m.active AND d.active;
END
$fn$;
