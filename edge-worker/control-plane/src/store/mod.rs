pub mod rows;
pub mod sql;
