// The SoC: a PicoRV32 (rv32imc, AXI4-Lite master; the core is the PyPI
// package pythondata-cpu-picorv32, not a copy) on an AXI4-Lite interconnect
// with the on-chip RAM, the control block (console, exit, cycle counter,
// bus-error latch) and the project's blocks behind their register blocks.
//
// Memory map: the windows' BASE/MASK come from rtl_verif/soc/memory_map.py
// (the one description the C header and docs/soc_memory_map.md are generated
// from): the runner passes them as parameters, and the defaults below are
// generated from it too (a test fails when they are stale); addresses
// outside every window answer DECERR and set the bus-error latch.
//
// Testbench ports: fw_load (re)loads the RAM image while rst is held;
// console/exit strobes, the sticky bus_error and the core's trap are what a
// run is judged by.
module soc #(
    parameter FIRMWARE = "firmware.hex",  // the RAM image (relative: to the simulator's working directory)
    // BEGIN GENERATED parameters: python -m rtl_verif.soc.docs (do not edit)
    parameter int          RAM_WORDS      = 16384,
    parameter logic [31:0] STACK_TOP      = 32'h00010000,
    parameter int          CORDIC_IN_W    = 16,
    parameter int          CORDIC_OUT_W   = 16,
    parameter int          CORDIC_ITER    = 16,
    parameter int          VITERBI_SOFT_W = 6,
    parameter int          VITERBI_TB_LEN = 64,
    parameter logic [31:0] RAM_BASE       = 32'h00000000,
    parameter logic [31:0] RAM_MASK       = 32'hffff0000,
    parameter logic [31:0] CTRL_BASE      = 32'h10000000,
    parameter logic [31:0] CTRL_MASK      = 32'hffffffe0,
    parameter logic [31:0] SM4_BASE       = 32'h40000000,
    parameter logic [31:0] SM4_MASK       = 32'hffffff80,
    parameter logic [31:0] CORDIC_BASE    = 32'h40001000,
    parameter logic [31:0] CORDIC_MASK    = 32'hffffffc0,
    parameter logic [31:0] VITERBI_BASE   = 32'h40002000,
    parameter logic [31:0] VITERBI_MASK   = 32'hffffffc0
    // END GENERATED parameters
) (
    input  logic        clk,
    input  logic        rst,
    input  logic        fw_load,
    output logic        console_valid,
    output logic [7:0]  console_data,
    output logic        exit_valid,
    output logic [31:0] exit_code,
    output logic        bus_error,
    output logic        trap
);
    localparam int N = 5;
    localparam int S_RAM = 0, S_CTRL = 1, S_SM4 = 2, S_CORDIC = 3, S_VITERBI = 4;

    // ---- the core ----
    logic        c_awvalid, c_awready, c_wvalid, c_wready, c_bvalid, c_bready;
    logic        c_arvalid, c_arready, c_rvalid, c_rready;
    logic [31:0] c_awaddr, c_wdata, c_araddr, c_rdata;
    logic [3:0]  c_wstrb;
    // PicoRV32's AXI adapter has no BRESP/RRESP inputs: the core never sees
    // an error response, the control block's bus-error latch records it.
    /* verilator lint_off UNUSEDSIGNAL */
    logic [1:0]  c_bresp, c_rresp;
    /* verilator lint_on UNUSEDSIGNAL */

    /* verilator lint_off PINCONNECTEMPTY */
    picorv32_axi #(
        .ENABLE_COUNTERS(1),
        .ENABLE_COUNTERS64(1),
        .BARREL_SHIFTER(1),
        .COMPRESSED_ISA(1),
        .ENABLE_MUL(0),
        .ENABLE_FAST_MUL(1),
        .ENABLE_DIV(1),
        .CATCH_MISALIGN(1),
        .CATCH_ILLINSN(1),
        .PROGADDR_RESET(RAM_BASE),
        .STACKADDR(STACK_TOP)
    ) u_cpu (
        .clk(clk),
        .resetn(!rst),
        .trap(trap),
        .mem_axi_awvalid(c_awvalid),
        .mem_axi_awready(c_awready),
        .mem_axi_awaddr(c_awaddr),
        .mem_axi_awprot(),
        .mem_axi_wvalid(c_wvalid),
        .mem_axi_wready(c_wready),
        .mem_axi_wdata(c_wdata),
        .mem_axi_wstrb(c_wstrb),
        .mem_axi_bvalid(c_bvalid),
        .mem_axi_bready(c_bready),
        .mem_axi_arvalid(c_arvalid),
        .mem_axi_arready(c_arready),
        .mem_axi_araddr(c_araddr),
        .mem_axi_arprot(),
        .mem_axi_rvalid(c_rvalid),
        .mem_axi_rready(c_rready),
        .mem_axi_rdata(c_rdata),
        .pcpi_valid(),
        .pcpi_insn(),
        .pcpi_rs1(),
        .pcpi_rs2(),
        .pcpi_wr(1'b0),
        .pcpi_rd(32'd0),
        .pcpi_wait(1'b0),
        .pcpi_ready(1'b0),
        .irq(32'd0),
        .eoi(),
        .trace_valid(),
        .trace_data()
    );
    /* verilator lint_on PINCONNECTEMPTY */

    // ---- interconnect ----
    logic [N*32-1:0] m_awaddr, m_wdata, m_araddr, m_rdata;
    logic [N*4-1:0]  m_wstrb;
    logic [N*2-1:0]  m_bresp, m_rresp;
    logic [N-1:0]    m_awvalid, m_awready, m_wvalid, m_wready, m_bvalid, m_bready;
    logic [N-1:0]    m_arvalid, m_arready, m_rvalid, m_rready;
    logic            err_valid, err_write;
    logic [31:0]     err_addr;
    logic [1:0]      err_resp;

    soc_axil_xbar #(
        .N(N),
        .BASE({VITERBI_BASE, CORDIC_BASE, SM4_BASE, CTRL_BASE, RAM_BASE}),
        .MASK({VITERBI_MASK, CORDIC_MASK, SM4_MASK, CTRL_MASK, RAM_MASK})
    ) u_xbar (
        .clk(clk), .rst(rst),
        .s_awaddr(c_awaddr), .s_awvalid(c_awvalid), .s_awready(c_awready),
        .s_wdata(c_wdata), .s_wstrb(c_wstrb), .s_wvalid(c_wvalid), .s_wready(c_wready),
        .s_bresp(c_bresp), .s_bvalid(c_bvalid), .s_bready(c_bready),
        .s_araddr(c_araddr), .s_arvalid(c_arvalid), .s_arready(c_arready),
        .s_rdata(c_rdata), .s_rresp(c_rresp), .s_rvalid(c_rvalid), .s_rready(c_rready),
        .m_awaddr(m_awaddr), .m_awvalid(m_awvalid), .m_awready(m_awready),
        .m_wdata(m_wdata), .m_wstrb(m_wstrb), .m_wvalid(m_wvalid), .m_wready(m_wready),
        .m_bresp(m_bresp), .m_bvalid(m_bvalid), .m_bready(m_bready),
        .m_araddr(m_araddr), .m_arvalid(m_arvalid), .m_arready(m_arready),
        .m_rdata(m_rdata), .m_rresp(m_rresp), .m_rvalid(m_rvalid), .m_rready(m_rready),
        .err_valid(err_valid), .err_write(err_write), .err_addr(err_addr), .err_resp(err_resp)
    );

    // ---- slaves ----
    soc_ram #(.WORDS(RAM_WORDS), .FIRMWARE(FIRMWARE)) u_ram (
        .clk(clk), .rst(rst), .load(fw_load),
        .s_awaddr(m_awaddr[S_RAM*32 +: 32]), .s_awvalid(m_awvalid[S_RAM]), .s_awready(m_awready[S_RAM]),
        .s_wdata(m_wdata[S_RAM*32 +: 32]), .s_wstrb(m_wstrb[S_RAM*4 +: 4]), .s_wvalid(m_wvalid[S_RAM]),
        .s_wready(m_wready[S_RAM]), .s_bresp(m_bresp[S_RAM*2 +: 2]), .s_bvalid(m_bvalid[S_RAM]),
        .s_bready(m_bready[S_RAM]), .s_araddr(m_araddr[S_RAM*32 +: 32]), .s_arvalid(m_arvalid[S_RAM]),
        .s_arready(m_arready[S_RAM]), .s_rdata(m_rdata[S_RAM*32 +: 32]), .s_rresp(m_rresp[S_RAM*2 +: 2]),
        .s_rvalid(m_rvalid[S_RAM]), .s_rready(m_rready[S_RAM])
    );

    soc_ctrl u_ctrl (
        .clk(clk), .rst(rst),
        .s_awaddr(m_awaddr[S_CTRL*32 +: 32]), .s_awvalid(m_awvalid[S_CTRL]), .s_awready(m_awready[S_CTRL]),
        .s_wdata(m_wdata[S_CTRL*32 +: 32]), .s_wstrb(m_wstrb[S_CTRL*4 +: 4]), .s_wvalid(m_wvalid[S_CTRL]),
        .s_wready(m_wready[S_CTRL]), .s_bresp(m_bresp[S_CTRL*2 +: 2]), .s_bvalid(m_bvalid[S_CTRL]),
        .s_bready(m_bready[S_CTRL]), .s_araddr(m_araddr[S_CTRL*32 +: 32]), .s_arvalid(m_arvalid[S_CTRL]),
        .s_arready(m_arready[S_CTRL]), .s_rdata(m_rdata[S_CTRL*32 +: 32]), .s_rresp(m_rresp[S_CTRL*2 +: 2]),
        .s_rvalid(m_rvalid[S_CTRL]), .s_rready(m_rready[S_CTRL]),
        .err_valid(err_valid), .err_write(err_write), .err_addr(err_addr), .err_resp(err_resp),
        .console_valid(console_valid), .console_data(console_data),
        .exit_valid(exit_valid), .exit_code(exit_code), .bus_error(bus_error)
    );

    // ---- the blocks, through their generated register blocks ----
    // Their stream ports are idle here (the CPU uses the register path);
    // interrupts are not wired (the core runs without IRQs): drivers poll.
    /* verilator lint_off UNUSEDSIGNAL */
    logic [127:0] sm4_m_tdata;
    logic         sm4_s_tready, sm4_m_tvalid, sm4_m_tlast, sm4_irq;
    wire [31:0]   sm4_awaddr = m_awaddr[S_SM4*32 +: 32];
    wire [31:0]   sm4_araddr = m_araddr[S_SM4*32 +: 32];
    /* verilator lint_on UNUSEDSIGNAL */
    sm4_core u_sm4 (
        .clk(clk), .rst(rst),
        .s_axil_awaddr(sm4_awaddr[6:0]), .s_axil_awprot(3'b000), .s_axil_awvalid(m_awvalid[S_SM4]),
        .s_axil_awready(m_awready[S_SM4]), .s_axil_wdata(m_wdata[S_SM4*32 +: 32]),
        .s_axil_wstrb(m_wstrb[S_SM4*4 +: 4]), .s_axil_wvalid(m_wvalid[S_SM4]), .s_axil_wready(m_wready[S_SM4]),
        .s_axil_bresp(m_bresp[S_SM4*2 +: 2]), .s_axil_bvalid(m_bvalid[S_SM4]), .s_axil_bready(m_bready[S_SM4]),
        .s_axil_araddr(sm4_araddr[6:0]), .s_axil_arprot(3'b000), .s_axil_arvalid(m_arvalid[S_SM4]),
        .s_axil_arready(m_arready[S_SM4]), .s_axil_rdata(m_rdata[S_SM4*32 +: 32]),
        .s_axil_rresp(m_rresp[S_SM4*2 +: 2]), .s_axil_rvalid(m_rvalid[S_SM4]), .s_axil_rready(m_rready[S_SM4]),
        .s_axis_tdata(128'd0), .s_axis_tvalid(1'b0), .s_axis_tready(sm4_s_tready), .s_axis_tlast(1'b0),
        .m_axis_tdata(sm4_m_tdata), .m_axis_tvalid(sm4_m_tvalid), .m_axis_tready(1'b1), .m_axis_tlast(sm4_m_tlast),
        .irq(sm4_irq)
    );

    /* verilator lint_off UNUSEDSIGNAL */
    logic [CORDIC_IN_W+CORDIC_OUT_W-1:0] cor_m_tdata;
    logic        cor_s_tready, cor_m_tvalid, cor_m_tlast, cor_irq;
    wire [31:0]  cor_awaddr = m_awaddr[S_CORDIC*32 +: 32];
    wire [31:0]  cor_araddr = m_araddr[S_CORDIC*32 +: 32];
    /* verilator lint_on UNUSEDSIGNAL */
    cordic_csr #(.IN_W(CORDIC_IN_W), .OUT_W(CORDIC_OUT_W), .ITER(CORDIC_ITER)) u_cordic (
        .clk(clk), .rst(rst),
        .s_axil_awaddr(cor_awaddr[5:0]), .s_axil_awprot(3'b000), .s_axil_awvalid(m_awvalid[S_CORDIC]),
        .s_axil_awready(m_awready[S_CORDIC]), .s_axil_wdata(m_wdata[S_CORDIC*32 +: 32]),
        .s_axil_wstrb(m_wstrb[S_CORDIC*4 +: 4]), .s_axil_wvalid(m_wvalid[S_CORDIC]),
        .s_axil_wready(m_wready[S_CORDIC]), .s_axil_bresp(m_bresp[S_CORDIC*2 +: 2]),
        .s_axil_bvalid(m_bvalid[S_CORDIC]), .s_axil_bready(m_bready[S_CORDIC]),
        .s_axil_araddr(cor_araddr[5:0]), .s_axil_arprot(3'b000), .s_axil_arvalid(m_arvalid[S_CORDIC]),
        .s_axil_arready(m_arready[S_CORDIC]), .s_axil_rdata(m_rdata[S_CORDIC*32 +: 32]),
        .s_axil_rresp(m_rresp[S_CORDIC*2 +: 2]), .s_axil_rvalid(m_rvalid[S_CORDIC]),
        .s_axil_rready(m_rready[S_CORDIC]),
        .s_axis_tdata({(2*CORDIC_IN_W){1'b0}}), .s_axis_tvalid(1'b0), .s_axis_tready(cor_s_tready), .s_axis_tlast(1'b0),
        .m_axis_tdata(cor_m_tdata), .m_axis_tvalid(cor_m_tvalid), .m_axis_tready(1'b1),
        .m_axis_tlast(cor_m_tlast), .irq(cor_irq)
    );

    /* verilator lint_off UNUSEDSIGNAL */
    logic        vit_s_tready, vit_m_tdata, vit_m_tvalid, vit_m_tlast, vit_irq;
    wire [31:0]  vit_awaddr = m_awaddr[S_VITERBI*32 +: 32];
    wire [31:0]  vit_araddr = m_araddr[S_VITERBI*32 +: 32];
    /* verilator lint_on UNUSEDSIGNAL */
    viterbi_csr #(.SOFT_W(VITERBI_SOFT_W), .TB_LEN(VITERBI_TB_LEN)) u_viterbi (
        .clk(clk), .rst(rst),
        .s_axil_awaddr(vit_awaddr[5:0]), .s_axil_awprot(3'b000), .s_axil_awvalid(m_awvalid[S_VITERBI]),
        .s_axil_awready(m_awready[S_VITERBI]), .s_axil_wdata(m_wdata[S_VITERBI*32 +: 32]),
        .s_axil_wstrb(m_wstrb[S_VITERBI*4 +: 4]), .s_axil_wvalid(m_wvalid[S_VITERBI]),
        .s_axil_wready(m_wready[S_VITERBI]), .s_axil_bresp(m_bresp[S_VITERBI*2 +: 2]),
        .s_axil_bvalid(m_bvalid[S_VITERBI]), .s_axil_bready(m_bready[S_VITERBI]),
        .s_axil_araddr(vit_araddr[5:0]), .s_axil_arprot(3'b000), .s_axil_arvalid(m_arvalid[S_VITERBI]),
        .s_axil_arready(m_arready[S_VITERBI]), .s_axil_rdata(m_rdata[S_VITERBI*32 +: 32]),
        .s_axil_rresp(m_rresp[S_VITERBI*2 +: 2]), .s_axil_rvalid(m_rvalid[S_VITERBI]),
        .s_axil_rready(m_rready[S_VITERBI]),
        .s_axis_tdata({(2*VITERBI_SOFT_W){1'b0}}), .s_axis_tvalid(1'b0), .s_axis_tready(vit_s_tready), .s_axis_tlast(1'b0),
        .s_axis_tuser(1'b0), .m_axis_tdata(vit_m_tdata), .m_axis_tvalid(vit_m_tvalid), .m_axis_tready(1'b1),
        .m_axis_tlast(vit_m_tlast), .irq(vit_irq)
    );
endmodule
