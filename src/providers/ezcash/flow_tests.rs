//! The eZ Cash provider against its simulator over loopback HTTP.
