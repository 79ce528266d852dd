//! The seeded catalogue: a continent > country > state > city tree, projects, and the
//! products on sale (every proxy type), all fixed so that every run sees the same data.

use ipv_types::{
    Area, CidrBlock, City, CodeList, DrawType, IpType, IspType, ListingStatus, Money, NetType,
    Product, ProductArea, Project, ProjectStock, Protocol, ProxyType, SellLimit, Toggle, Unit,
    UseLimit, UseType,
};
use serde::{Deserialize, Serialize};

/// Areas, cities, projects, products and the regions of dynamic products.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Catalogue {
    pub(crate) areas: Vec<Area>,
    pub(crate) cities: Vec<City>,
    pub(crate) projects: Vec<Project>,
    pub(crate) products: Vec<Product>,
    pub(crate) product_areas: Vec<ProductArea>,
    /// How many `/24` blocks of the address pool (10.0.0.0/8) products were given.
    #[serde(default)]
    pub(crate) pool_blocks: u32,
}

impl Catalogue {
    pub(crate) fn product(&self, product_no: &str) -> Option<&Product> {
        self.products.iter().find(|p| p.product_no == product_no)
    }

    pub(crate) fn product_mut(&mut self, product_no: &str) -> Option<&mut Product> {
        self.products
            .iter_mut()
            .find(|p| p.product_no == product_no)
    }
}

/// (continent code, English, Chinese) -> countries.
struct ContinentSeed {
    code: &'static str,
    name: &'static str,
    cname: &'static str,
    countries: &'static [CountrySeed],
}

struct CountrySeed {
    code: &'static str,
    name: &'static str,
    cname: &'static str,
    states: &'static [StateSeed],
}

struct StateSeed {
    code: &'static str,
    name: &'static str,
    cname: &'static str,
    cities: &'static [(&'static str, &'static str, &'static str)],
}

// State codes are the ISO 3166 numeric country code plus three digits; city codes add
// three more, as the platform's 6- and 9-digit codes do.
const WORLD: &[ContinentSeed] = &[
    ContinentSeed {
        code: "1",
        name: "Asia",
        cname: "亚洲",
        countries: &[
            CountrySeed {
                code: "JPN",
                name: "Japan",
                cname: "日本",
                states: &[
                    StateSeed {
                        code: "392013",
                        name: "Tokyo",
                        cname: "东京都",
                        cities: &[("392013001", "Tokyo", "东京")],
                    },
                    StateSeed {
                        code: "392027",
                        name: "Osaka",
                        cname: "大阪府",
                        cities: &[("392027001", "Osaka", "大阪")],
                    },
                ],
            },
            CountrySeed {
                code: "SGP",
                name: "Singapore",
                cname: "新加坡",
                states: &[StateSeed {
                    code: "702001",
                    name: "Singapore",
                    cname: "新加坡",
                    cities: &[("702001001", "Singapore", "新加坡")],
                }],
            },
            CountrySeed {
                code: "CHN",
                name: "China",
                cname: "中国",
                states: &[
                    StateSeed {
                        code: "156044",
                        name: "Guangdong",
                        cname: "广东省",
                        cities: &[
                            ("156044001", "Guangzhou", "广州"),
                            ("156044003", "Shenzhen", "深圳"),
                        ],
                    },
                    StateSeed {
                        code: "156031",
                        name: "Shanghai",
                        cname: "上海市",
                        cities: &[("156031001", "Shanghai", "上海")],
                    },
                ],
            },
        ],
    },
    ContinentSeed {
        code: "2",
        name: "Europe",
        cname: "欧洲",
        countries: &[
            CountrySeed {
                code: "DEU",
                name: "Germany",
                cname: "德国",
                states: &[
                    StateSeed {
                        code: "276011",
                        name: "Berlin",
                        cname: "柏林州",
                        cities: &[("276011001", "Berlin", "柏林")],
                    },
                    StateSeed {
                        code: "276006",
                        name: "Hesse",
                        cname: "黑森州",
                        cities: &[("276006001", "Frankfurt", "法兰克福")],
                    },
                ],
            },
            CountrySeed {
                code: "GBR",
                name: "United Kingdom",
                cname: "英国",
                states: &[StateSeed {
                    code: "826001",
                    name: "England",
                    cname: "英格兰",
                    cities: &[
                        ("826001001", "London", "伦敦"),
                        ("826001002", "Manchester", "曼彻斯特"),
                    ],
                }],
            },
        ],
    },
    ContinentSeed {
        code: "5",
        name: "South America",
        cname: "南美洲",
        countries: &[CountrySeed {
            code: "BRA",
            name: "Brazil",
            cname: "巴西",
            states: &[StateSeed {
                code: "076035",
                name: "Sao Paulo",
                cname: "圣保罗州",
                cities: &[("076035001", "Sao Paulo", "圣保罗")],
            }],
        }],
    },
    ContinentSeed {
        code: "6",
        name: "North America",
        cname: "北美洲",
        countries: &[CountrySeed {
            code: "USA",
            name: "United States",
            cname: "美国",
            states: &[
                StateSeed {
                    code: "840006",
                    name: "California",
                    cname: "加利福尼亚州",
                    cities: &[
                        ("840006001", "Los Angeles", "洛杉矶"),
                        ("840006002", "San Jose", "圣何塞"),
                    ],
                },
                StateSeed {
                    code: "840036",
                    name: "New York",
                    cname: "纽约州",
                    cities: &[("840036001", "New York", "纽约")],
                },
                StateSeed {
                    code: "840048",
                    name: "Texas",
                    cname: "德克萨斯州",
                    cities: &[("840048001", "Dallas", "达拉斯")],
                },
            ],
        }],
    },
];

const PROJECTS: &[(&str, &str)] = &[
    ("amazon", "Amazon"),
    ("ebay", "eBay"),
    ("tiktok", "TikTok"),
    ("whatsapp", "WhatsApp"),
];

/// What varies between the seeded products.
struct ProductSeed {
    no: &'static str,
    name: &'static str,
    proxy_type: ProxyType,
    city: &'static str,
    price: &'static str,
    duration: i64,
    unit: Unit,
    /// (first /24 index into 198.18.0.0/15, count) per block; empty for dynamic.
    blocks: &'static [(u16, i64)],
    assign_ip: bool,
    isp: IspType,
    /// Dynamic: minimum MB (flow products) or IPs (IP-count products).
    flow: i64,
    ip_count: i64,
    band_width_price: &'static str,
    refund_hours: i64,
}

const SEEDS: &[ProductSeed] = &[
    // 101 static cloud (datacenter)
    ProductSeed {
        no: "ipv_dc_us_lax_m",
        name: "US Los Angeles datacenter, monthly",
        proxy_type: ProxyType::StaticCloud,
        city: "840006001",
        price: "4.50",
        duration: 1,
        unit: Unit::Month,
        blocks: &[(0, 250), (1, 250)],
        assign_ip: true,
        isp: IspType::Datacenter,
        flow: 0,
        ip_count: 0,
        band_width_price: "1.20",
        refund_hours: 24,
    },
    ProductSeed {
        no: "ipv_dc_us_sjc_w",
        name: "US San Jose datacenter, weekly",
        proxy_type: ProxyType::StaticCloud,
        city: "840006002",
        price: "1.40",
        duration: 1,
        unit: Unit::Week,
        blocks: &[(2, 120)],
        assign_ip: false,
        isp: IspType::Datacenter,
        flow: 0,
        ip_count: 0,
        band_width_price: "0.40",
        refund_hours: 24,
    },
    ProductSeed {
        no: "ipv_dc_de_fra_m",
        name: "DE Frankfurt datacenter, monthly",
        proxy_type: ProxyType::StaticCloud,
        city: "276006001",
        price: "5.00",
        duration: 1,
        unit: Unit::Month,
        blocks: &[(3, 200)],
        assign_ip: true,
        isp: IspType::Datacenter,
        flow: 0,
        ip_count: 0,
        band_width_price: "1.50",
        refund_hours: 24,
    },
    ProductSeed {
        no: "ipv_dc_sg_d30",
        name: "SG Singapore datacenter, 30 days",
        proxy_type: ProxyType::StaticCloud,
        city: "702001001",
        price: "6.00",
        duration: 30,
        unit: Unit::Day,
        blocks: &[(4, 100)],
        assign_ip: false,
        isp: IspType::Datacenter,
        flow: 0,
        ip_count: 0,
        band_width_price: "0.00",
        refund_hours: 12,
    },
    ProductSeed {
        no: "ipv_dc_jp_tyo_y",
        name: "JP Tokyo datacenter, yearly",
        proxy_type: ProxyType::StaticCloud,
        city: "392013001",
        price: "48.00",
        duration: 1,
        unit: Unit::Year,
        blocks: &[(5, 60)],
        assign_ip: false,
        isp: IspType::Datacenter,
        flow: 0,
        ip_count: 0,
        band_width_price: "10.00",
        refund_hours: 72,
    },
    ProductSeed {
        no: "ipv_dc_gb_lon_u",
        name: "GB London datacenter, no time limit",
        proxy_type: ProxyType::StaticCloud,
        city: "826001001",
        price: "90.00",
        duration: 0,
        unit: Unit::Unlimited,
        blocks: &[(6, 40)],
        assign_ip: false,
        isp: IspType::Datacenter,
        flow: 0,
        ip_count: 0,
        band_width_price: "0.00",
        refund_hours: 1,
    },
    // 102 static residential, China
    ProductSeed {
        no: "ipv_res_cn_can_d30",
        name: "CN Guangzhou residential, 30 days",
        proxy_type: ProxyType::StaticResidentialCn,
        city: "156044001",
        price: "18.00",
        duration: 30,
        unit: Unit::Day,
        blocks: &[(16, 80)],
        assign_ip: false,
        isp: IspType::Single,
        flow: 0,
        ip_count: 0,
        band_width_price: "0.00",
        refund_hours: 24,
    },
    ProductSeed {
        no: "ipv_res_cn_szx_d1",
        name: "CN Shenzhen residential, daily",
        proxy_type: ProxyType::StaticResidentialCn,
        city: "156044003",
        price: "0.80",
        duration: 1,
        unit: Unit::Day,
        blocks: &[(17, 80)],
        assign_ip: false,
        isp: IspType::Single,
        flow: 0,
        ip_count: 0,
        band_width_price: "0.00",
        refund_hours: 2,
    },
    ProductSeed {
        no: "ipv_res_cn_sha_m",
        name: "CN Shanghai residential, monthly",
        proxy_type: ProxyType::StaticResidentialCn,
        city: "156031001",
        price: "20.00",
        duration: 1,
        unit: Unit::Month,
        blocks: &[(18, 50)],
        assign_ip: true,
        isp: IspType::Dual,
        flow: 0,
        ip_count: 0,
        band_width_price: "0.00",
        refund_hours: 24,
    },
    // 103 static residential, abroad
    ProductSeed {
        no: "ipv_res_us_nyc_m",
        name: "US New York residential ISP, monthly",
        proxy_type: ProxyType::StaticResidentialAbroad,
        city: "840036001",
        price: "7.20",
        duration: 1,
        unit: Unit::Month,
        blocks: &[(32, 250), (33, 250)],
        assign_ip: true,
        isp: IspType::Native,
        flow: 0,
        ip_count: 0,
        band_width_price: "2.00",
        refund_hours: 24,
    },
    ProductSeed {
        no: "ipv_res_us_dfw_w",
        name: "US Dallas residential ISP, weekly",
        proxy_type: ProxyType::StaticResidentialAbroad,
        city: "840048001",
        price: "2.10",
        duration: 1,
        unit: Unit::Week,
        blocks: &[(34, 100)],
        assign_ip: false,
        isp: IspType::Native,
        flow: 0,
        ip_count: 0,
        band_width_price: "0.00",
        refund_hours: 24,
    },
    ProductSeed {
        no: "ipv_res_gb_man_m",
        name: "GB Manchester residential ISP, monthly",
        proxy_type: ProxyType::StaticResidentialAbroad,
        city: "826001002",
        price: "8.00",
        duration: 1,
        unit: Unit::Month,
        blocks: &[(35, 90)],
        assign_ip: false,
        isp: IspType::Native,
        flow: 0,
        ip_count: 0,
        band_width_price: "0.00",
        refund_hours: 24,
    },
    ProductSeed {
        no: "ipv_res_jp_osa_m",
        name: "JP Osaka residential ISP, monthly",
        proxy_type: ProxyType::StaticResidentialAbroad,
        city: "392027001",
        price: "9.50",
        duration: 1,
        unit: Unit::Month,
        blocks: &[(36, 70)],
        assign_ip: true,
        isp: IspType::Native,
        flow: 0,
        ip_count: 0,
        band_width_price: "0.00",
        refund_hours: 24,
    },
    ProductSeed {
        no: "ipv_res_br_sao_m",
        name: "BR Sao Paulo residential ISP, monthly",
        proxy_type: ProxyType::StaticResidentialAbroad,
        city: "076035001",
        price: "6.80",
        duration: 1,
        unit: Unit::Month,
        blocks: &[(37, 60)],
        assign_ip: false,
        isp: IspType::Single,
        flow: 0,
        ip_count: 0,
        band_width_price: "0.00",
        refund_hours: 24,
    },
    ProductSeed {
        no: "ipv_res_de_ber_y",
        name: "DE Berlin residential ISP, yearly",
        proxy_type: ProxyType::StaticResidentialAbroad,
        city: "276011001",
        price: "79.00",
        duration: 1,
        unit: Unit::Year,
        blocks: &[(38, 30)],
        assign_ip: false,
        isp: IspType::Dual,
        flow: 0,
        ip_count: 0,
        band_width_price: "0.00",
        refund_hours: 48,
    },
    // 104 dynamic abroad
    ProductSeed {
        no: "ipv_dyn_global_flow",
        name: "Global rotating residential, per MB",
        proxy_type: ProxyType::DynamicAbroad,
        city: "",
        price: "0.0040",
        duration: 0,
        unit: Unit::Unlimited,
        blocks: &[],
        assign_ip: false,
        isp: IspType::Unspecified,
        flow: 100,
        ip_count: 0,
        band_width_price: "0.00",
        refund_hours: 0,
    },
    ProductSeed {
        no: "ipv_dyn_us_flow",
        name: "US rotating residential, per MB",
        proxy_type: ProxyType::DynamicAbroad,
        city: "",
        price: "0.0050",
        duration: 0,
        unit: Unit::Unlimited,
        blocks: &[],
        assign_ip: false,
        isp: IspType::Unspecified,
        flow: 100,
        ip_count: 0,
        band_width_price: "0.00",
        refund_hours: 0,
    },
    ProductSeed {
        no: "ipv_dyn_global_ip",
        name: "Global rotating residential, per IP",
        proxy_type: ProxyType::DynamicAbroad,
        city: "",
        price: "0.0300",
        duration: 0,
        unit: Unit::Unlimited,
        blocks: &[],
        assign_ip: false,
        isp: IspType::Unspecified,
        flow: 0,
        ip_count: 10,
        band_width_price: "0.00",
        refund_hours: 0,
    },
    // 105 dynamic China
    ProductSeed {
        no: "ipv_dyn_cn_flow",
        name: "CN rotating residential, per MB",
        proxy_type: ProxyType::DynamicCn,
        city: "",
        price: "0.0030",
        duration: 0,
        unit: Unit::Unlimited,
        blocks: &[],
        assign_ip: false,
        isp: IspType::Unspecified,
        flow: 100,
        ip_count: 0,
        band_width_price: "0.00",
        refund_hours: 0,
    },
    ProductSeed {
        no: "ipv_dyn_cn_ip",
        name: "CN rotating residential, per IP",
        proxy_type: ProxyType::DynamicCn,
        city: "",
        price: "0.0200",
        duration: 0,
        unit: Unit::Unlimited,
        blocks: &[],
        assign_ip: false,
        isp: IspType::Unspecified,
        flow: 0,
        ip_count: 10,
        band_width_price: "0.00",
        refund_hours: 0,
    },
    // 201 whatsapp
    ProductSeed {
        no: "ipv_wa_us_m",
        name: "US WhatsApp line, monthly",
        proxy_type: ProxyType::WhatsApp,
        city: "840036001",
        price: "12.00",
        duration: 1,
        unit: Unit::Month,
        blocks: &[(48, 40)],
        assign_ip: false,
        isp: IspType::Native,
        flow: 0,
        ip_count: 0,
        band_width_price: "0.00",
        refund_hours: 24,
    },
    ProductSeed {
        no: "ipv_wa_sg_m",
        name: "SG WhatsApp line, monthly",
        proxy_type: ProxyType::WhatsApp,
        city: "702001001",
        price: "11.00",
        duration: 1,
        unit: Unit::Month,
        blocks: &[(49, 40)],
        assign_ip: false,
        isp: IspType::Native,
        flow: 0,
        ip_count: 0,
        band_width_price: "0.00",
        refund_hours: 24,
    },
];

/// The `/24` block number `index` of the benchmarking range 198.18.0.0/15 (reserved,
/// never routed on the internet, so no emulated address belongs to anyone).
pub(crate) fn block_cidr(index: u16) -> String {
    format!("198.{}.{}.0/24", 18 + index / 256, index % 256)
}

/// How many `/24` blocks the address pool 10.0.0.0/8 holds.
const POOL_BLOCKS: u32 = 65_536;

/// The `/24` block number `index` of the address pool 10.0.0.0/8 (private, never routed
/// on the internet), from which products get stock beyond their seeded blocks.
pub(crate) fn pool_block_cidr(index: u32) -> String {
    format!("10.{}.{}.0/24", (index / 256) % 256, index % 256)
}

/// A block of `count` addresses, the `nth` of its product (which names its ISP).
fn cidr_block(cidr: String, count: i64, asn: u64, nth: usize) -> CidrBlock {
    {
        let mut cidr_block = CidrBlock::default();
        cidr_block.cidr = cidr;
        cidr_block.count = count;
        cidr_block.asn = format!("AS{asn}");
        cidr_block.isp =
            ["Emulated Telecom", "Emulated Cable", "Emulated Fiber"][nth % 3].to_owned();
        cidr_block.project_list = vec![{
            let mut project_stock = ProjectStock::default();
            project_stock.code = "amazon".to_owned();
            project_stock.inventory = count;
            project_stock
        }];
        cidr_block
    }
}

/// Gives every static product at least `addresses` addresses in stock: whole `/24`
/// blocks of the pool (the last one holding the rest), each product its own, so no
/// address is sold twice. Products already that large are left as they are.
///
/// # Errors
/// When the pool has no block left.
pub(crate) fn widen(catalogue: &mut Catalogue, addresses: u32) -> Result<(), String> {
    let wanted = i64::from(addresses);
    let mut next = catalogue.pool_blocks;
    for product in &mut catalogue.products {
        if product.cidr_blocks.is_empty() || product.inventory >= wanted {
            continue;
        }
        while product.inventory < wanted {
            if next >= POOL_BLOCKS {
                return Err(
                    "addressesPerProduct: the address pool 10.0.0.0/8 has no block left".to_owned(),
                );
            }
            let count = (wanted - product.inventory).min(254);
            let nth = product.cidr_blocks.len();
            product.cidr_blocks.push(cidr_block(
                pool_block_cidr(next),
                count,
                // 32-bit private AS numbers.
                4_200_000_000 + u64::from(next),
                nth,
            ));
            product.inventory += count;
            next += 1;
        }
        for stock in &mut product.project_list {
            stock.inventory = product.inventory;
        }
    }
    catalogue.pool_blocks = next;
    Ok(())
}

/// The usable hosts of a `/24` CIDR, in order (`.1` .. `.254`).
pub(crate) fn block_hosts(cidr: &str) -> Option<impl Iterator<Item = String> + '_> {
    let prefix = cidr.strip_suffix(".0/24")?;
    Some((1..=254).map(move |host| format!("{prefix}.{host}")))
}

/// Whether `ip` is inside the `/24` `cidr`.
pub(crate) fn block_contains(cidr: &str, ip: &str) -> bool {
    match (cidr.strip_suffix(".0/24"), ip.rsplit_once('.')) {
        (Some(prefix), Some((net, host))) => {
            net == prefix && host.parse::<u8>().is_ok_and(|h| (1..=254).contains(&h))
        }
        _ => false,
    }
}

fn money(text: &str) -> Money {
    // The seed table holds only valid decimal literals.
    text.parse().unwrap_or(Money::ZERO)
}

/// The area tree (continents > countries > states > cities) and the flat city list.
fn areas_and_cities() -> (Vec<Area>, Vec<City>) {
    let mut areas = Vec::new();
    let mut cities = Vec::new();
    for continent in WORLD {
        let mut country_nodes = Vec::new();
        for country in continent.countries {
            let mut state_nodes = Vec::new();
            for state in country.states {
                let mut city_nodes = Vec::new();
                for &(code, name, cname) in state.cities {
                    city_nodes.push({
                        let mut area = Area::default();
                        area.code = code.to_owned();
                        area.name = name.to_owned();
                        area.cname = cname.to_owned();
                        area
                    });
                    cities.push({
                        let mut city = City::default();
                        city.city_code = code.to_owned();
                        city.city_name = cname.to_owned();
                        city.city_en_name = name.to_owned();
                        city.state_code = state.code.to_owned();
                        city.state_name = state.cname.to_owned();
                        city.state_en_name = state.name.to_owned();
                        city.country_code = country.code.to_owned();
                        city.country_name = country.cname.to_owned();
                        city.country_en_name = country.name.to_owned();
                        city.area_code = continent.code.to_owned();
                        city.area_name = continent.cname.to_owned();
                        city.area_en_name = continent.name.to_owned();
                        city.status = ListingStatus::Listed;
                        city
                    });
                }
                state_nodes.push({
                    let mut area = Area::default();
                    area.code = state.code.to_owned();
                    area.name = state.name.to_owned();
                    area.cname = state.cname.to_owned();
                    area.children = city_nodes;
                    area
                });
            }
            country_nodes.push({
                let mut area = Area::default();
                area.code = country.code.to_owned();
                area.name = country.name.to_owned();
                area.cname = country.cname.to_owned();
                area.children = state_nodes;
                area
            });
        }
        areas.push({
            let mut area = Area::default();
            area.code = continent.code.to_owned();
            area.name = continent.name.to_owned();
            area.cname = continent.cname.to_owned();
            area.children = country_nodes;
            area
        });
    }

    (areas, cities)
}

/// One seeded product, placed in its city.
fn seed_product(seed: &ProductSeed, cities: &[City]) -> Product {
    let city = cities.iter().find(|c| c.city_code == seed.city);
    let dynamic = seed.proxy_type.is_dynamic();
    let cidr_blocks: Vec<CidrBlock> = seed
        .blocks
        .iter()
        .enumerate()
        .map(|(i, &(index, count))| {
            cidr_block(block_cidr(index), count, 64_512 + u64::from(index), i)
        })
        .collect();
    let inventory = if dynamic {
        10_000_000
    } else {
        cidr_blocks.iter().map(|b| b.count).sum()
    };
    let supplier = if dynamic { "emu_dyn" } else { "emu_static" };
    {
        let mut product = Product::default();
        product.product_no = seed.no.to_owned();
        product.product_name = seed.name.to_owned();
        product.proxy_type = seed.proxy_type;
        product.use_type = if dynamic {
            CodeList::from([UseType::Password, UseType::Whitelist])
        } else {
            CodeList::from([UseType::Password])
        };
        product.protocol = CodeList::from([Protocol::Socks5, Protocol::Http]);
        product.use_limit = if seed.proxy_type == ProxyType::DynamicCn
            || seed.proxy_type == ProxyType::StaticResidentialCn
        {
            UseLimit::ExitCn
        } else {
            UseLimit::ExitAbroad
        };
        product.sell_limit = SellLimit::Unlimited;
        product.area_code = city.map(|c| c.area_code.clone()).unwrap_or_default();
        product.country_code = city.map(|c| c.country_code.clone()).unwrap_or_default();
        product.state_code = city.map(|c| c.state_code.clone()).unwrap_or_default();
        product.city_code = seed.city.to_owned();
        product.detail = format!("{} (emulated)", seed.name);
        product.cost_price = money(seed.price);
        product.inventory = inventory;
        product.ip_type = IpType::Ipv4;
        product.isp_type = seed.isp;
        product.net_type = if dynamic {
            NetType::Unspecified
        } else {
            NetType::Native
        };
        product.duration = seed.duration;
        product.unit = seed.unit;
        product.band_width = if dynamic { 0 } else { 10 };
        product.band_width_type = 1;
        product.band_width_price = money(seed.band_width_price);
        product.max_band_width = if dynamic { 0 } else { 100 };
        product.flow = seed.flow;
        product.cpu = 0;
        product.memory = 0.0;
        product.enable = Toggle::Yes;
        product.supplier_code = supplier.to_owned();
        product.ip_count = seed.ip_count;
        product.ip_duration = if seed.ip_count > 0 { 30 } else { 0 };
        product.assign_ip = Toggle::from(seed.assign_ip);
        product.cidr_status = Toggle::from(!cidr_blocks.is_empty());
        product.cidr_blocks = cidr_blocks;
        product.draw_type = if dynamic {
            DrawType::Both
        } else {
            DrawType::None
        };
        product.refund_duration = seed.refund_hours * 3600;
        product.one_day = Toggle::No;
        product.proxy_everytime_change = Toggle::from(dynamic);
        product.proxy_global_random = Toggle::from(dynamic);
        product.api_draw_global_random = Toggle::from(dynamic);
        product.ip_whitelist = Toggle::from(dynamic);
        product.pwd_draw_proxy_user = Toggle::from(dynamic);
        product.proxy_user_flow_limit = Toggle::from(dynamic);
        product.flow_use_log = Toggle::from(dynamic);
        product.pwd_draw_session_range = if dynamic {
            "1-120".to_owned()
        } else {
            String::new()
        };
        product.flow_conversion_base = 1024;
        product.project_list = if dynamic {
            Vec::new()
        } else {
            vec![{
                let mut project_stock = ProjectStock::default();
                project_stock.code = "amazon".to_owned();
                project_stock.inventory = inventory;
                project_stock
            }]
        };
        product.product_type = 1;
        product.reset_password = Toggle::from(!dynamic);
        product
    }
}

/// The regions (`product/area`) of a dynamic product.
fn seed_regions(seed: &ProductSeed) -> &'static [&'static str] {
    if seed.proxy_type == ProxyType::DynamicCn {
        &["156044", "156031"]
    } else if seed.no == "ipv_dyn_us_flow" {
        &["USA", "840006", "840036001"]
    } else {
        &["USA", "GBR", "DEU", "JPN", "SGP", "BRA"]
    }
}

/// Builds the seeded catalogue.
pub(crate) fn seed() -> Catalogue {
    let (areas, cities) = areas_and_cities();
    let projects = PROJECTS
        .iter()
        .map(|&(code, name)| {
            let mut project = Project::default();
            project.code = code.to_owned();
            project.name = name.to_owned();
            project.status = ListingStatus::Listed;
            project
        })
        .collect();

    let mut products = Vec::new();
    let mut product_areas = Vec::new();
    for seed in SEEDS {
        let product = seed_product(seed, &cities);
        if product.proxy_type.is_dynamic() {
            for &region in seed_regions(seed) {
                product_areas.push(product_area(&product, region, &cities));
            }
        }
        products.push(product);
    }

    Catalogue {
        areas,
        cities,
        projects,
        products,
        product_areas,
        pool_blocks: 0,
    }
}

/// A product-area row for a country (ISO3), state (6 digits) or city (9 digits) code.
fn product_area(product: &Product, code: &str, cities: &[City]) -> ProductArea {
    let city = cities
        .iter()
        .find(|c| c.country_code == code || c.state_code == code || c.city_code == code);
    let (area, country) = city
        .map(|c| (c.area_code.clone(), c.country_code.clone()))
        .unwrap_or_default();
    let state = if code.len() >= 6 && code.chars().all(|c| c.is_ascii_digit()) {
        code[..6].to_owned()
    } else {
        String::new()
    };
    let city_code = if code.len() == 9 {
        code.to_owned()
    } else {
        String::new()
    };
    {
        let mut product_area = ProductArea::default();
        product_area.product_no = product.product_no.clone();
        product_area.proxy_type = product.proxy_type;
        product_area.area_code = area;
        product_area.country_code = country;
        product_area.state_code = state;
        product_area.city_code = city_code;
        product_area.status = ListingStatus::Listed;
        product_area.region = code.to_ascii_lowercase();
        product_area.supplier_code = product.supplier_code.clone();
        product_area
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogue_is_rich_and_consistent() {
        let catalogue = seed();
        assert!(catalogue.products.len() >= 20);
        for t in [101, 102, 103, 104, 105, 201] {
            assert!(
                catalogue
                    .products
                    .iter()
                    .any(|p| p.proxy_type.as_i64() == t),
                "proxy type {t}"
            );
        }
        for p in &catalogue.products {
            if p.proxy_type.is_dynamic() {
                assert!(
                    catalogue
                        .product_areas
                        .iter()
                        .any(|a| a.product_no == p.product_no)
                );
            } else {
                assert_eq!(
                    p.inventory,
                    p.cidr_blocks.iter().map(|b| b.count).sum::<i64>()
                );
                assert!(
                    catalogue.cities.iter().any(|c| c.city_code == p.city_code),
                    "{}",
                    p.product_no
                );
            }
        }
        assert!(catalogue.products.iter().any(|p| p.assign_ip.is_yes()));
        assert_eq!(catalogue.areas.len(), 4);
        assert!(catalogue.cities.len() >= 15);
    }

    #[test]
    fn widening_gives_every_static_product_its_own_addresses() {
        let mut catalogue = seed();
        widen(&mut catalogue, 1_000).expect("widen");
        let mut seen = std::collections::BTreeSet::new();
        for p in &catalogue.products {
            if p.proxy_type.is_dynamic() {
                assert!(p.cidr_blocks.is_empty());
                continue;
            }
            assert_eq!(p.inventory, 1_000, "{}", p.product_no);
            assert_eq!(
                p.inventory,
                p.cidr_blocks.iter().map(|b| b.count).sum::<i64>()
            );
            assert!(p.project_list.iter().all(|s| s.inventory == 1_000));
            for block in &p.cidr_blocks {
                assert!((1..=254).contains(&block.count));
                assert!(seen.insert(block.cidr.clone()), "{} twice", block.cidr);
            }
        }
        // Widening again to the same size adds nothing; the pool counter moves on.
        let used = catalogue.pool_blocks;
        widen(&mut catalogue, 1_000).expect("again");
        assert_eq!(catalogue.pool_blocks, used);
        assert_eq!(pool_block_cidr(0), "10.0.0.0/24");
        assert_eq!(pool_block_cidr(257), "10.1.1.0/24");
        let hosts: Vec<String> = block_hosts(&pool_block_cidr(3)).expect("a /24").collect();
        assert_eq!(hosts[253], "10.0.3.254");
    }

    #[test]
    fn the_pool_runs_out_with_an_error() {
        let mut catalogue = seed();
        catalogue.pool_blocks = POOL_BLOCKS - 1;
        let err = widen(&mut catalogue, 100_000).expect_err("too large");
        assert!(err.contains("10.0.0.0/8"), "{err}");
    }

    #[test]
    fn blocks_and_hosts() {
        assert_eq!(block_cidr(0), "198.18.0.0/24");
        assert_eq!(block_cidr(257), "198.19.1.0/24");
        assert!(block_contains("198.18.3.0/24", "198.18.3.7"));
        assert!(!block_contains("198.18.3.0/24", "198.18.4.7"));
        assert!(!block_contains("198.18.3.0/24", "198.18.3.255"));
        let hosts: Vec<String> = block_hosts("198.18.3.0/24").expect("a /24").collect();
        assert_eq!(hosts.len(), 254);
        assert_eq!(hosts[0], "198.18.3.1");
    }
}
