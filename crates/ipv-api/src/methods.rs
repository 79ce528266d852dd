//! The named methods of [`Client`](crate::Client) (and of the blocking client), one per row
//! of the endpoint table in `ipv-protocol`: `ipv_protocol::for_each_endpoint!` hands the
//! rows to the macros below, so a row added there is a method here with no second edit.

#[allow(unused_imports)] // each name is used by the rows the table macro expands to
use ipv_types::{
    Account, AddIpWhitelistRequest, AfterSaleReleaseRequest, AppInfo, AppInfoRequest, Area,
    AreasRequest, AssignedIpInfo, AssignedIpInfoRequest, CitiesRequest, City, DrawApiUrlRequest,
    DrawApiUrls, DrawWithPasswordRequest, DrawnProxies, FlowUsage, FlowUsageLogRequest, Instance,
    InstanceListRequest, InstancesRequest, IpWhitelist, NoData, OpenAssignedIpRequest,
    OpenInstancesRequest, Order, OrderItem, OrderReceipt, OrderRequest, OrdersRequest, Page,
    Product, ProductArea, ProductAreasRequest, ProductRequest, ProductsRequest, Project,
    ProjectsRequest, ProxyBalance, ProxyBalanceRequest, ProxyUser, ProxyUserRequest,
    ReleaseInstancesRequest, RemoveIpWhitelistRequest, RenewInstancesRequest,
    ResetPasswordsRequest, ResetPasswordsResult, ReturnDynamicProxyRequest, ReturnedProxy,
    SetProxyUserFlowLimitRequest, SyncUserAuthRequest, UpsertProxyUserRequest, UpsertUserRequest,
    UserAuthStatus,
};

macro_rules! client_method {
    ($num:literal $middle:literal $method:ident $req:ident => $resp:ty; ()) => {
        #[doc = concat!("Endpoint ", stringify!($num), ", `", $middle, "`: sends [`", stringify!($req), "`] (no parameters).")]
        ///
        /// # Errors
        /// See [`Error`](crate::Error).
        pub async fn $method(&self) -> Result<$resp, crate::Error> {
            self.send(&$req).await
        }
    };
    ($num:literal $middle:literal $method:ident $req:ident => $resp:ty;) => {
        #[doc = concat!("Endpoint ", stringify!($num), ", `", $middle, "`: sends a [`", stringify!($req), "`] and returns its `", stringify!($resp), "`.")]
        ///
        /// # Errors
        /// See [`Error`](crate::Error); validation runs before anything is sent.
        pub async fn $method(&self, request: &$req) -> Result<$resp, crate::Error> {
            self.send(request).await
        }
    };
}

/// The blocking twin of `client_method!`, for [`blocking::Client`](crate::blocking::Client).
#[cfg(feature = "blocking")]
macro_rules! blocking_method {
    ($num:literal $middle:literal $method:ident $req:ident => $resp:ty; ()) => {
        #[doc = concat!("Endpoint ", stringify!($num), ", `", $middle, "`: sends [`", stringify!($req), "`] (no parameters) and waits for the answer.")]
        ///
        /// # Errors
        /// See [`Error`](crate::Error).
        ///
        /// # Panics
        /// Inside an async runtime (see [`blocking`](crate::blocking)).
        #[track_caller]
        pub fn $method(&self) -> Result<$resp, crate::Error> {
            self.send(&$req)
        }
    };
    ($num:literal $middle:literal $method:ident $req:ident => $resp:ty;) => {
        #[doc = concat!("Endpoint ", stringify!($num), ", `", $middle, "`: sends a [`", stringify!($req), "`] and waits for its `", stringify!($resp), "`.")]
        ///
        /// # Errors
        /// See [`Error`](crate::Error); validation runs before anything is sent.
        ///
        /// # Panics
        /// Inside an async runtime (see [`blocking`](crate::blocking)).
        #[track_caller]
        pub fn $method(&self, request: &$req) -> Result<$resp, crate::Error> {
            self.send(request)
        }
    };
}

macro_rules! client_methods {
    ($(
        $num:literal $middle:literal $method:ident $( ($($unit:tt)*) )?
            $req:ident => $resp:ty, $idem:ident;
    )*) => {
        /// One async method per endpoint, generated from the endpoint table.
        impl crate::Client {
            $( client_method!($num $middle $method $req => $resp; $( ($($unit)*) )?); )*
        }

        /// One blocking method per endpoint, generated from the same table.
        #[cfg(feature = "blocking")]
        impl crate::blocking::Client {
            $( blocking_method!($num $middle $method $req => $resp; $( ($($unit)*) )?); )*
        }
    };
}

ipv_protocol::for_each_endpoint!(client_methods);
