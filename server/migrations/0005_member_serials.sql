-- 0005_member_serials.sql: stations allocate member numbers offline, each
-- from its own range of serials (central.yaml member_serial_min/max,
-- disjoint within a community), so numbers are unique by construction.
-- A registration outside the registering station's range is refused.

ALTER TABLE station ADD COLUMN serial_min integer NOT NULL DEFAULT 1,
                    ADD COLUMN serial_max integer NOT NULL DEFAULT 999999;

CREATE OR REPLACE FUNCTION hb_register(p_station integer, p_seq bigint, p_no text, p_name text,
                                       p_role smallint, p_birth_year integer, p_family text)
RETURNS hb_op_result LANGUAGE plpgsql AS $$
DECLARE
    st station;
    serial integer := split_part(p_no, '-', 2)::integer;
    acct bigint;
BEGIN
    SELECT * INTO st FROM station WHERE id = p_station;
    IF split_part(p_no, '-', 1) <> st.community THEN
        RETURN hb_reject(7, format('station %s serves community %s and may not register member %s',
                                   p_station, st.community, p_no));
    ELSIF serial NOT BETWEEN st.serial_min AND st.serial_max THEN
        RETURN hb_reject(7, format('member %s is outside station %s''s member serials %s..%s',
                                   p_no, p_station, st.serial_min, st.serial_max));
    ELSIF EXISTS (SELECT 1 FROM member WHERE member_no = p_no) THEN
        RETURN hb_reject(2, format('member %s is already registered', p_no));
    ELSIF p_family <> '' AND NOT EXISTS (SELECT 1 FROM member WHERE member_no = p_family) THEN
        RETURN hb_reject(8, format('family member %s is not registered', p_family));
    END IF;
    INSERT INTO account (kind, district)
    VALUES ('member', (SELECT district FROM community WHERE code = st.community))
    RETURNING id INTO acct;
    INSERT INTO member (member_no, community, account_id, name, role, birth_year, family_of,
                        station_id, seq)
    VALUES (p_no, st.community, acct, p_name, p_role, nullif(p_birth_year, 0), nullif(p_family, ''),
            p_station, p_seq);
    RETURN hb_ok(NULL);
END $$;
