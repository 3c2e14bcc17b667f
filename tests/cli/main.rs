//! One integration-test binary: each module drives the built `hcpcs-diff` (or the library) on
//! fixtures written here in CMS's formats, and on the real releases in `../shared/hcpcs`.

mod bad_input;
mod cms_reports;
mod diff;
mod fetch;
mod real_releases;
mod store;
mod util;
