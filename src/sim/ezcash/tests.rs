//! The eZ Cash simulator over HTTP.
