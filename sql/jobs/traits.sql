-- traits: the snapshot of every computed trait as of {as_of}. This file clears the snapshot; the INSERT of
-- each trait is compiled from its definition (segments/computed-traits/compile-trait.ts: one parameterised
-- query per trait) and run by segments/jobs/traits-job.ts.
DELETE FROM {{database}}.computed_traits WHERE as_of = {as_of:DateTime64(3, 'UTC')};
